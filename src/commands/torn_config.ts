/**
 * A torn config.toml is recoverable. gitlab-runner rewrites config.toml in place, so a crash while
 * it rotates a token can leave the file cut short; without this, every start would fail on its
 * syntax although every token can be recovered from GitLab.
 *
 * When the config does not load, its bytes are read again: if they are torn (see
 * `inputs/torn_toml.ts`) and stay the same over about 100 ms (gitlab-runner may be writing the
 * file at this moment), and every GitLab has a personal access token (its runners can be listed,
 * so each one is restored in place under its id), the file is copied aside
 * (`runner_config/torn_copy.ts`) and the run goes on as if there were no config. Any other
 * failure is the original error, config untouched.
 *
 * @module
 */

import type { Clock } from "../kernel/env.ts";
import { InputError } from "../kernel/errors.ts";
import type { LocalConfig, Site } from "../kernel/model.ts";
import { isTornToml, loadLocalConfig } from "../inputs/mod.ts";
import { readRegularFileIfAny } from "../inputs/fs.ts";
import { saveTornCopy } from "../runner_config/torn_copy.ts";

/** How often, and how far apart, a torn file is read again before it counts as torn. */
const REREADS = 3;
const REREAD_MS = 35;
/** How many times the whole check starts over when the file changed while it was read. */
const ATTEMPTS = 3;
/** No config register-runner or gitlab-runner writes comes near this. */
const MAX_BYTES = 8 * 1024 * 1024;

/** The config (undefined when absent or torn and kept aside) and what to warn about. */
export interface LoadedOrRecovered {
  local: LocalConfig | undefined;
  warnings: string[];
}

/**
 * Loads `site.outputFile`, or, when it is torn and recoverable, keeps a copy and returns no
 * config with a warning naming the copy. Throws the load's `InputError` otherwise (with a hint
 * about personal access tokens when only they are missing).
 */
export async function loadOrRecoverTornConfig(
  site: Site,
  clock: Clock,
): Promise<LoadedOrRecovered> {
  for (let attempt = 1;; attempt++) {
    let failure: InputError;
    try {
      return { local: await loadLocalConfig(site.outputFile), warnings: [] };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      failure = error;
    }
    const bytes = await readRegularFileIfAny(site.outputFile, MAX_BYTES);
    if (bytes === undefined || !isTornToml(bytes)) throw failure;
    let stable = true;
    for (let i = 0; i < REREADS && stable; i++) {
      await clock.sleep(REREAD_MS);
      const again = await readRegularFileIfAny(site.outputFile, MAX_BYTES);
      stable = again !== undefined && sameBytes(again, bytes);
    }
    if (!stable) {
      if (attempt < ATTEMPTS) continue; // being written: read it afresh
      throw failure;
    }
    const unlisted = site.clients.filter((c) => c.personalAccessToken === undefined);
    if (unlisted.length > 0) {
      throw new InputError(`${failure.message}\n(the file looks cut short)`, {
        ...(failure.where ? { where: failure.where } : {}),
        hint: `${failure.hint ?? ""} With a personal access token for ${
          unlisted.map((c) => c.url).join(", ")
        }, register-runner would keep a copy of the cut file and restore each runner from GitLab.`
          .trim(),
        cause: failure,
      });
    }
    const saved = await saveTornCopy(site.outputFile, bytes, clock.now());
    return {
      local: undefined,
      warnings: [
        `${site.outputFile} was cut short (gitlab-runner was probably stopped while rewriting it); ` +
        `kept it as ${saved} (0600) and restores the runners' tokens from GitLab`,
      ],
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
