/**
 * Which `[[runners]]` sections config.toml gets, from the per-runner results of sync (applied) or
 * plan (predicted), and the rendering of the whole file.
 *
 * @module
 */

import { preferNewerToken } from "../runner_config/merge_rotated.ts";
import { renderConfig, type RenderedRunner } from "../runner_config/render.ts";
import { normalizeUrl } from "../inputs/mod.ts";
import type {
  DesiredRunner,
  LocalConfig,
  LocalRunner,
  RunnerToken,
  Site,
} from "../kernel/model.ts";
import { VERSION } from "../kernel/version.ts";

/** The credentials one desired runner ends up with. */
export interface RunnerCredentials {
  id: number | undefined;
  token: RunnerToken;
}

/**
 * The `[[runners]]` sections to write, in desired order: each desired runner with its result;
 * for a GitLab that could not be reached (`unreachable`, normalised keys), the last good local
 * section of that runner (degraded start); runners with neither are left out.
 */
export function renderRunners(
  site: Site,
  desired: DesiredRunner[],
  results: ReadonlyMap<string, RunnerCredentials>,
  unreachable: ReadonlySet<string>,
  local: LocalRunner[],
): RenderedRunner[] {
  const out: RenderedRunner[] = [];
  for (const d of desired) {
    const client = site.clients.find((c) => c.key === d.clientKey)!;
    const base = {
      name: d.description,
      url: client.url,
      executor: d.executor,
      runnerKeys: d.runnerKeys,
    };
    const result = results.get(d.key);
    if (result) {
      out.push({
        ...base,
        ...(result.id === undefined ? {} : { id: result.id }),
        token: result.token,
      });
      continue;
    }
    if (!unreachable.has(d.clientKey)) continue;
    // Degraded start: keep the last good token for this runner.
    const l = local.find((x) =>
      x.token !== undefined && x.url !== undefined && normalizeUrl(x.url) === d.clientKey &&
      x.name !== undefined && [d.description, ...d.formerDescriptions].includes(x.name)
    );
    if (!l?.token) continue;
    out.push({
      ...base,
      ...(l.id === undefined ? {} : { id: l.id }),
      token: l.token,
    });
  }
  return out;
}

/**
 * Keeps tokens that gitlab-runner rotated on disk while we were running: only an entry whose
 * token changed between our first read (`before`) and now (`disk`) can hold such a token, and then
 * the newer of the two wins. An entry unchanged since our first read never overrides ours (ours may
 * be newer: reset or adopted from the journal, whatever the clocks say).
 */
export function keepRotatedTokens(
  runners: RenderedRunner[],
  before: LocalConfig | undefined,
  disk: LocalConfig | undefined,
): RenderedRunner[] {
  if (!disk) return runners;
  return runners.map((r) => {
    const onDisk = disk.runners.find((l) => r.id !== undefined && l.id === r.id);
    if (!onDisk?.token) return r;
    const atStart = before?.runners.find((l) => l.id === r.id);
    if (atStart?.token !== undefined && atStart.token.token.equals(onDisk.token.token)) return r;
    const token = preferNewerToken(r.token, onDisk.token);
    return token === r.token || token === undefined ? r : { ...r, token };
  });
}

/** The whole config.toml text for `site` with these runners (none: globals only). */
export function renderSiteConfig(site: Site, runners: RenderedRunner[]): string {
  return renderConfig({
    sources: { templateFile: site.templateFile, executorDir: site.executorDir },
    version: VERSION,
    globals: site.globals,
    runners,
  });
}
