/**
 * `register-runner unregister --yes`: decommissions this host's instance. Deletes in GitLab the
 * runners register-runner can prove it owns — listed with this host's and instance's tags and an
 * owned description, or proven by a verified local token and not described as another host's or
 * instance's (with a personal access token), or, without one, the runners whose token the local
 * config (or journal) holds, verified and with an owned description — then writes
 * config.toml with the template's globals and no `[[runners]]`.
 *
 * Without `--yes` nothing is deleted or written: the report says what would be deleted.
 * Any failure leaves config.toml untouched; running again finishes the job.
 *
 * @module
 */

import { writeFileAtomic } from "../runner_config/atomic_write.ts";
import { TokenJournal } from "../runner_config/journal.ts";
import { removeOwnershipRecord } from "../runner_config/ownership_record.ts";
import { withLock } from "../runner_config/lock.ts";
import { assertRecordable, recordableOnce } from "../runner_config/recordable.ts";
import { applyDeletion } from "../reconcile/apply.ts";
import { describesOtherOwner, isOwnedDescription } from "../desired/runners.ts";
import type { LocalRunner, Observation, ObservedRunner, Site } from "../kernel/model.ts";
import type { Deletion } from "../reconcile/planner.ts";
import { renderSiteConfig } from "./config_out.ts";
import { ownerWarnings } from "./owner_warnings.ts";
import { loadInputs, observeEachClient, type PipelineOptions, readLocalState } from "./pipeline.ts";

/** Options of `unregister`. */
export interface UnregisterOptions extends PipelineOptions {
  /** Really delete (otherwise only report). */
  yes: boolean;
  /** How long to wait for another run's lock (with `yes`). */
  lockTimeoutMs: number;
}

/** One GitLab's deletions (done, or to do without `--yes`). */
export interface UnregisteredClient {
  url: string;
  deletions: Deletion[];
}

/** The result of `unregister`. */
export interface UnregisterReport {
  outputFile: string;
  /** False without `--yes`: nothing was deleted or written. */
  done: boolean;
  clients: UnregisteredClient[];
  config: "written" | "unchanged" | "would-change";
  warnings: string[];
}

/** The reason recorded for every deletion. */
const REASON = "unregister: host decommissioned";

/** Unregisters (or, without `yes`, says what it would unregister). Throws `RegisterRunnerError`s. */
export async function unregister(options: UnregisterOptions): Promise<UnregisterReport> {
  const { site, warnings } = await loadInputs(options);
  if (!options.yes) return await run(site, options, warnings);
  await assertRecordable(site.prefix, site.instance, { bytes: 0, what: site.outputFile });
  const lockOptions = { timeoutMs: options.lockTimeoutMs, clock: options.env.clock };
  return await withLock(
    site.prefix,
    site.instance,
    lockOptions,
    () => run(site, options, warnings),
  );
}

async function run(
  site: Site,
  options: UnregisterOptions,
  warnings: string[],
): Promise<UnregisterReport> {
  const { env } = options;
  const state = await readLocalState(site, options);
  const text = renderSiteConfig(site, []);
  // Record before acting: nothing is deleted unless the emptied config can be written.
  const recordable = recordableOnce(site.prefix, site.instance, () => ({
    bytes: new TextEncoder().encode(text).length,
    what: site.outputFile,
  }));
  const results = await observeEachClient(
    site,
    state,
    options,
    async ({ client, api, local, observation }) => {
      const found = provablyOwned(observation, local, env.hostname, site.instance);
      for (const w of found.warnings) env.logger.warn(w);
      warnings.push(...found.warnings);
      if (options.yes && found.deletions.length > 0) {
        await recordable();
        const settled = await Promise.allSettled(
          found.deletions.map((d) => applyDeletion(d, { client: api, logger: env.logger })),
        );
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      }
      return { url: client.url, deletions: found.deletions };
    },
    undefined,
    warnings,
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  const clients = results.map((r) => (r as PromiseFulfilledResult<UnregisteredClient>).value);

  let config: UnregisterReport["config"];
  if (options.yes) {
    if (state.local?.text !== text) await recordable();
    config = await writeFileAtomic(site.outputFile, text, {
      mode: 0o600,
      onOwnerLost: ownerWarnings(env.logger, warnings),
    });
    await new TokenJournal(state.journalPath).clear();
    await removeOwnershipRecord(state.recordPath);
  } else {
    config = state.local?.text === text ? "unchanged" : "would-change";
  }
  return { outputFile: site.outputFile, done: options.yes, clients, config, warnings };
}

/**
 * The deletions register-runner can justify for one GitLab. With a personal access token: every
 * runner GitLab lists with this host's and instance's tags and an owned description, and every
 * runner a verified local token proves whose current description is not in register-runner's
 * form for another host or instance (a copied config holds that host's tokens: see
 * `describesOtherOwner`). Without one: every local runner whose token verified and whose name is
 * an owned description. Everything else is named in a warning, never deleted.
 */
export function provablyOwned(
  observation: Observation,
  local: LocalRunner[],
  hostname: string,
  instance: string,
): { deletions: Deletion[]; warnings: string[] } {
  const warnings: string[] = [];
  const foreign = observation.foreign ?? new Map();
  for (const [index, f] of foreign) {
    const l = local.find((x) => x.index === index);
    warnings.push(
      `${l?.name ?? `runner #${index}`}${f.id === undefined ? "" : ` (#${f.id})`} is in the ` +
        `local config, but the runner looks like host ${f.owner.hostname}'s instance ` +
        `${f.owner.instance} ("${f.description}"; a config copied from there?); not deleted`,
    );
  }
  const valid = local.filter((l) =>
    l.token !== undefined && observation.tokenChecks.get(l.index)?.status === "valid" &&
    !foreign.has(l.index)
  );
  if (observation.owned !== undefined) {
    const mine = (o: ObservedRunner) =>
      !o.provenByToken || describesOtherOwner(o.description, hostname, instance) === undefined;
    const owned = observation.owned.filter(mine);
    const ids = new Set(owned.map((o) => o.id));
    for (const o of observation.owned) {
      if (mine(o)) continue;
      warnings.push(
        `runner #${o.id} ("${o.description}") is another host's or instance's; not deleted`,
      );
    }
    for (const l of valid) {
      const check = observation.tokenChecks.get(l.index);
      const id = check?.status === "valid" ? check.runnerId ?? l.id : l.id;
      if (id !== undefined && !ids.has(id)) {
        warnings.push(
          `${
            l.name ?? `runner #${l.index}`
          } (#${id}) is in the local config but GitLab does not list it with this host's and instance's tags and an owned description; not deleted (delete it in GitLab if it is this host's)`,
        );
      }
    }
    return {
      deletions: owned.map((o) => ({
        by: "id" as const,
        runnerId: o.id,
        description: o.description,
        reason: REASON,
      })),
      warnings,
    };
  }
  const deletions: Deletion[] = [];
  for (const l of valid) {
    if (l.name !== undefined && isOwnedDescription(l.name, hostname, instance)) {
      deletions.push({
        by: "token",
        token: l.token!.token,
        localIndex: l.index,
        description: l.name,
        reason: REASON,
      });
    } else {
      warnings.push(
        `${
          l.name ?? `runner #${l.index}`
        } is in the local config but its name is not one register-runner gives; not deleted`,
      );
    }
  }
  return { deletions, warnings };
}
