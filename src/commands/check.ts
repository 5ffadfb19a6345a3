/**
 * `register-runner check`: validates everything register-runner reads from the prefix without
 * any network — the prefix and its permissions, the template, the executor files, secret files
 * (including `$CREDENTIALS_DIRECTORY`), `ca_file` bundles, the existing config.toml and token
 * journal — and computes the runners' descriptions and tags. Writes nothing.
 *
 * @module
 */

import { openClient } from "../gitlab/client.ts";
import type { ConfiguredScope, DesiredRunner } from "../kernel/model.ts";
import { loadInputs, type PipelineOptions, readDesired, readLocalState } from "./pipeline.ts";

/** One GitLab as configured. */
export interface CheckedClient {
  url: string;
  /** Normalised URL, as executor files refer to it. */
  key: string;
  personalAccessToken: boolean;
  registrationToken: boolean;
  caFile: string | undefined;
  /** The group or project whose runners these are; absent for instance runners. */
  scope?: ConfiguredScope;
}

/** The result of `check`. */
export interface CheckReport {
  outputFile: string;
  clients: CheckedClient[];
  runners: DesiredRunner[];
  /** Whether config.{instance}.toml exists (it parsed when it does). */
  config: "present" | "absent";
  warnings: string[];
}

/** Runs the offline checks. Throws `InputError`s (exit 3). */
export async function check(options: PipelineOptions): Promise<CheckReport> {
  const { site, warnings } = await loadInputs(options);
  const state = await readLocalState(site, options);
  const runners = await readDesired(site, options, warnings);
  for (const client of site.clients) {
    if (client.caFile === undefined) continue;
    // Reads and parses the bundle; opens no connection.
    openClient(client, options.env).close();
  }
  return {
    outputFile: site.outputFile,
    clients: site.clients.map((c) => ({
      url: c.url,
      key: c.key,
      personalAccessToken: c.personalAccessToken !== undefined,
      registrationToken: c.registrationToken !== undefined,
      caFile: c.caFile,
      ...(c.scope === undefined ? {} : { scope: c.scope }),
    })),
    runners,
    config: state.local === undefined ? "absent" : "present",
    warnings,
  };
}
