/**
 * Which `[[runners]]` sections config.toml gets, from the per-runner results of sync (applied) or
 * plan (predicted), and the rendering of the whole file.
 *
 * @module
 */

import { preferNewerToken } from "../runner_config/merge_rotated.ts";
import {
  renderConfig,
  type RenderedRunner,
  type VerbatimSection,
} from "../runner_config/render.ts";
import { encodeToml } from "../runner_config/toml_encode.ts";
import { indexKeyLines } from "../inputs/key_lines.ts";
import { parse as parseToml } from "smol-toml";
import { normalizeUrl } from "../inputs/mod.ts";
import type {
  DesiredRunner,
  LocalConfig,
  LocalRunner,
  QuarantinedFile,
  RunnerToken,
  Site,
} from "../kernel/model.ts";
import type { HeldRunner } from "../reconcile/quarantine.ts";
import { VERSION } from "../kernel/version.ts";
import { type ClockOffset, notAfter, serverNow, SKEW_WARN_MS } from "../gitlab/server_time.ts";

/** The credentials one desired runner ends up with. */
export interface RunnerCredentials {
  id: number | undefined;
  token: RunnerToken;
}

/**
 * The `[[runners]]` sections to write, in desired order: each desired runner with its result;
 * for a GitLab that could not be reached (`unreachable`, normalised keys), the last good local
 * section of that runner (degraded start), and the same for the runners a plan held (`held`,
 * executor file stems: a listing not trusted this run); runners with neither are left out.
 */
export function renderRunners(
  site: Site,
  desired: DesiredRunner[],
  results: ReadonlyMap<string, RunnerCredentials>,
  unreachable: ReadonlySet<string>,
  local: LocalRunner[],
  held: ReadonlySet<string> = new Set(),
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
    if (!unreachable.has(d.clientKey) && !held.has(d.key)) continue;
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

/** GitLab's time now for a runner of the GitLab at `url`, from the offsets the clients measured. */
export type ServerNowFor = (url: string) => Date;

/**
 * `ServerNowFor` from the host's clock and the offsets measured per GitLab (normalised URL);
 * the host's time for a GitLab that sent no `Date`.
 */
export function serverNowFor(
  localNow: () => Date,
  offsets: ReadonlyMap<string, ClockOffset>,
): ServerNowFor {
  return (url) => serverNow(localNow(), offsets.get(normalizeUrl(url)));
}

/**
 * The runners with no `token_obtained_at` in the future: one more than {@link SKEW_WARN_MS}
 * ahead of its GitLab's time (written while this host's clock was far ahead, by an earlier run or
 * by gitlab-runner rotating) becomes GitLab's time now, so expiry and gitlab-runner's rotation
 * point are judged from a real time once the clock is right. Smaller differences are left alone:
 * gitlab-runner dates its rotations by the host's clock, and rewriting config.toml for a few
 * seconds would only make it reload.
 */
export function obtainedNotInFuture(
  runners: RenderedRunner[],
  nowFor: ServerNowFor,
): RenderedRunner[] {
  return runners.map((r) => {
    if (r.token?.obtainedAt === undefined) return r;
    const obtainedAt = notAfter(r.token.obtainedAt, nowFor(r.url), SKEW_WARN_MS);
    return obtainedAt === r.token.obtainedAt ? r : { ...r, token: { ...r.token, obtainedAt } };
  });
}

/**
 * The whole config.toml text for `site` with these runners (none: globals only). `kept` sections
 * (byte for byte) go where their executor file sorts among the desired runners; one of no known
 * file goes where it was in the previous file, before the first runner that came after it there.
 */
export function renderSiteConfig(
  site: Site,
  runners: RenderedRunner[],
  kept: readonly KeptSection[] = [],
  desired: readonly DesiredRunner[] = [],
  previous: readonly LocalRunner[] = [],
): string {
  const ordered: (RenderedRunner | VerbatimSection)[] = [];
  if (kept.length === 0) ordered.push(...runners);
  else {
    const left = new Set(runners);
    const keys = [...new Set([...desired.map((d) => d.key), ...kept.flatMap((k) => k.key ?? [])])]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const placed: { item: RenderedRunner | VerbatimSection; index: number | undefined }[] = [];
    const indexOf = (r: RenderedRunner) =>
      previous.find((l) => l.name === r.name && l.url === r.url)?.index;
    for (const key of keys) {
      const d = desired.find((x) => x.key === key);
      const r = d && runners.find((x) => left.has(x) && x.name === d.description);
      if (r) {
        placed.push({ item: r, index: indexOf(r) });
        left.delete(r);
      }
      for (const k of kept) {
        if (k.key === key) placed.push({ item: { verbatim: k.text }, index: k.index });
      }
    }
    for (const r of left) placed.push({ item: r, index: indexOf(r) });
    for (const k of kept) {
      if (k.key !== undefined) continue;
      const at = placed.findIndex((p) => p.index !== undefined && p.index > k.index);
      const entry = { item: { verbatim: k.text }, index: k.index };
      if (at < 0) placed.push(entry);
      else placed.splice(at, 0, entry);
    }
    ordered.push(...placed.map((p) => p.item));
  }
  return renderConfig({
    sources: { templateFile: site.templateFile, executorDir: site.executorDir },
    version: VERSION,
    globals: site.globals,
    runners: ordered,
  });
}

/** A previous `[[runners]]` section kept byte for byte, and the executor file it is of (if known). */
export interface KeptSection {
  name: string;
  url: string;
  text: string;
  /** Its index among the previous file's `[[runners]]`. */
  index: number;
  key?: string;
}

/**
 * The text of the `index`th `[[runners]]` section of `text`, byte for byte: from its header to
 * the next key or header outside it, trailing blank lines dropped. When the slice does not parse
 * back to the same table (a layout the line scanner cannot follow), the table re-encoded instead.
 * Undefined when there is no such section.
 */
export function runnerSection(text: string, index: number): string | undefined {
  let parsed: unknown;
  try {
    parsed = (parseToml(text).runners as unknown[] | undefined)?.[index];
  } catch {
    return undefined;
  }
  if (parsed === undefined || parsed === null || typeof parsed !== "object") return undefined;
  const lines = indexKeyLines(text);
  const start = lines.get(JSON.stringify(["runners", index]));
  if (start !== undefined) {
    const own = JSON.stringify(["runners", index]).slice(0, -1) + ",";
    let end = Infinity;
    for (const [path, line] of lines) {
      if (line > start && line < end && !path.startsWith(own)) end = line;
    }
    const all = text.split("\n");
    const slice = all.slice(start - 1, end === Infinity ? all.length : end - 1);
    while (slice.length > 0 && slice.at(-1)!.trim() === "") slice.pop();
    const section = slice.join("\n") + "\n";
    try {
      const again = (parseToml(section).runners as unknown[] | undefined)?.[0];
      if (JSON.stringify(again) === JSON.stringify(parsed)) return section;
    } catch {
      // Fall through to re-encoding.
    }
  }
  return encodeToml({ runners: [parsed as Record<string, unknown>] });
}

/** What {@link keptSections} keeps. */
export interface KeptInput {
  /** Runners the plans hold for quarantined files. */
  held: readonly HeldRunner[];
  /** Runners whose registration GitLab refused (their files are quarantined). */
  refused: readonly DesiredRunner[];
  /** GitLabs that could not be reached (normalised keys): not planned, so nothing is held. */
  unreachable: readonly string[];
  quarantined: readonly QuarantinedFile[];
}

/**
 * The previous config's sections to keep byte for byte: those the plans hold, those of runners
 * whose registration GitLab refused, and, for a GitLab that could not be reached, those named like
 * a quarantined file's runner. Taken from the file as it is now (`fresh`: a token gitlab-runner
 * rotated meanwhile is kept), else as first read (`local`).
 */
export function keptSections(
  local: LocalConfig | undefined,
  fresh: LocalConfig | undefined,
  input: KeptInput,
): KeptSection[] {
  if (local === undefined) return [];
  const indexes = new Set<number>();
  for (const h of input.held) if (h.localIndex !== undefined) indexes.add(h.localIndex);
  const named = (names: readonly string[], clientKey: string) =>
    local.runners.filter((l) =>
      l.name !== undefined && names.includes(l.name) && l.url !== undefined &&
      normalizeUrl(l.url) === clientKey
    );
  for (const d of input.refused) {
    for (const l of named([d.description, ...d.formerDescriptions], d.clientKey)) {
      indexes.add(l.index);
    }
  }
  const names = input.quarantined.flatMap((q) => q.names);
  for (const key of input.unreachable) for (const l of named(names, key)) indexes.add(l.index);
  const out: KeptSection[] = [];
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const l = local.runners[index];
    if (l?.name === undefined || l.url === undefined) continue;
    const now = fresh?.runners.find((f) => f.name === l.name && f.url === l.url);
    const text = (now && fresh ? runnerSection(fresh.text, now.index) : undefined) ??
      runnerSection(local.text, index);
    const name = l.name;
    const key = input.refused.find((d) => [d.description, ...d.formerDescriptions].includes(name))
      ?.key ?? input.quarantined.find((q) => q.names.includes(name))?.key;
    if (text !== undefined) out.push({ name, url: l.url, text, index, ...(key ? { key } : {}) });
  }
  return out;
}
