/**
 * `--metrics-file`: after every sync, success or failure, a Prometheus text-format file for
 * node_exporter's textfile collector. It holds no secret: times, the exit code, runner counts,
 * whether each GitLab was reached, and when tokens expire.
 *
 * The file is replaced atomically (temp file beside it, whose name does not end in `.prom`, so the
 * collector never reads a half-written file), mode 0644, and a symlink planted at its path is
 * replaced, never followed (symlinks in the directories above it are followed, as for
 * `--prefix`). Anything else at the path that is not a regular file (a device such as
 * /dev/null, a FIFO, a socket, a directory) is refused, never replaced. A missing directory is a
 * warning, not an error (node_exporter may not be installed yet).
 *
 * The time of the last success survives failed runs: it is read back from the previous file. A
 * success is a run that reached and synced every GitLab (exit 0 and none kept its last good config
 * because it was unreachable), so "no success for 24 h" fires during an outage too.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { loadLocalConfig } from "../inputs/mod.ts";
import { readRegularFileIfAny } from "../inputs/fs.ts";
import type { LocalRunner } from "../kernel/model.ts";
import { writeFileAtomic } from "../runner_config/atomic_write.ts";
import type { GitLabReach, SyncReport } from "./sync.ts";

/** Metric names, for the README's alerts and the tests. */
export const METRIC = {
  lastRun: "register_runner_last_run_timestamp_seconds",
  lastSuccess: "register_runner_last_success_timestamp_seconds",
  exitCode: "register_runner_last_exit_code",
  duration: "register_runner_last_run_duration_seconds",
  runners: "register_runner_runners",
  gitlabUp: "register_runner_gitlab_up",
  tokenExpiry: "register_runner_token_expiry_timestamp_seconds",
} as const;

/** What one run leaves for the metrics. */
export interface RunFacts {
  prefix: string;
  instance: string;
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  /** The sync's report, when it produced one. */
  report?: SyncReport | undefined;
  /**
   * Which GitLabs the run reached, when it tried them; for runs that failed without a report
   * (e.g. exit 5: unreachable and no previous config).
   */
  reach?: readonly GitLabReach[] | undefined;
}

/**
 * The metrics file's directory does not exist: a warning (node_exporter not installed yet), not
 * an error. The exit code is not changed.
 */
export class MetricsDirectoryMissing extends Error {
  /** The directory. */
  readonly directory: string;
  /** Creates the warning for `directory`. */
  constructor(directory: string) {
    super(`the metrics directory ${directory} does not exist; no metrics written`);
    this.name = "MetricsDirectoryMissing";
    this.directory = directory;
  }
}

/** The largest previous file read back (a planted huge file is ignored). */
const MAX_PREVIOUS_BYTES = 1 << 20;

/** Escapes a label value (backslash, double quote, line feed). */
export function labelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** A GitLab URL as a label: without user info, query or fragment (nothing secret). */
export function gitlabLabel(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "invalid";
  }
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs).map(([k, v]) => `${k}="${labelValue(v)}"`).join(",")}}`;
}

/** `register_runner_last_success_timestamp_seconds` of this instance in a previous file. */
export function previousSuccess(text: string | undefined, instance: string): number | undefined {
  if (text === undefined) return undefined;
  const wanted = `${METRIC.lastSuccess}${labels({ service_instance: instance })} `;
  for (const line of text.split("\n")) {
    if (!line.startsWith(wanted)) continue;
    const value = Number(line.slice(wanted.length).trim());
    if (Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** Counts of runners per GitLab and action in a sync report. */
function runnerCounts(report: SyncReport): { gitlab: string; action: string; count: number }[] {
  const rows: { gitlab: string; action: string; count: number }[] = [];
  for (const client of report.clients) {
    const counts: Record<string, number> = {
      registered: 0,
      restored: 0,
      updated: 0,
      kept: 0,
      deleted: 0,
      kept_unreachable: 0,
    };
    if (client.status === "synced") {
      for (const r of client.outcome.runners) {
        const updated = r.updated !== undefined && Object.keys(r.updated).length > 0;
        counts[r.action === "kept" && updated ? "updated" : r.action]! += 1;
      }
      counts.deleted = client.outcome.deleted.length;
    } else {
      counts.kept_unreachable = client.kept;
    }
    for (const [action, count] of Object.entries(counts)) {
      rows.push({ gitlab: gitlabLabel(client.url), action, count });
    }
  }
  return rows;
}

/**
 * The metrics text for one run. `runners` are the config file's runners after the run (for token
 * expiry); `previous` is the previous metrics file's text.
 */
export function renderMetrics(
  facts: RunFacts,
  runners: readonly LocalRunner[],
  previous: string | undefined,
): string {
  const instance = { service_instance: facts.instance };
  const seconds = (d: Date) => (d.getTime() / 1000).toFixed(3);
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [Record<string, string>, string][]) => {
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [l, v] of samples) lines.push(`${name}${labels(l)} ${v}`);
  };
  const reach: readonly GitLabReach[] = facts.report !== undefined
    ? facts.report.clients.map((c) => ({ url: c.url, reached: c.status !== "unreachable" }))
    : facts.reach ?? [];
  // Degraded (a GitLab unreachable, its last good config kept) is exit 0 but not a success.
  const success = facts.exitCode === 0 && reach.every((r) => r.reached)
    ? seconds(facts.finishedAt)
    : previousSuccess(previous, facts.instance)?.toFixed(3);
  gauge(METRIC.lastRun, "When the last register-runner sync ended (Unix time).", [
    [instance, seconds(facts.finishedAt)],
  ]);
  gauge(
    METRIC.lastSuccess,
    "When the last register-runner sync that reached and synced every GitLab ended (Unix time).",
    success === undefined ? [] : [[instance, success]],
  );
  gauge(METRIC.exitCode, "Exit code of the last register-runner sync (0: in sync).", [
    [instance, String(facts.exitCode)],
  ]);
  gauge(METRIC.duration, "How long the last register-runner sync took.", [
    [instance, ((facts.finishedAt.getTime() - facts.startedAt.getTime()) / 1000).toFixed(3)],
  ]);
  const report = facts.report;
  if (report !== undefined) {
    gauge(
      METRIC.runners,
      "Runners of this host per GitLab and what the last sync did with them.",
      runnerCounts(report).map((r) => [
        { ...instance, gitlab: r.gitlab, action: r.action },
        String(r.count),
      ]),
    );
  }
  gauge(
    METRIC.gitlabUp,
    "Whether the last sync reached the GitLab (1) or could not (0).",
    reach.map((r) => [{ ...instance, gitlab: gitlabLabel(r.url) }, r.reached ? "1" : "0"]),
  );
  const expiries: [Record<string, string>, string][] = [];
  for (const r of runners) {
    const expiresAt = r.token?.expiresAt;
    if (expiresAt === undefined) continue;
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at) || r.name === undefined) continue;
    expiries.push([
      { ...instance, gitlab: gitlabLabel(r.url ?? ""), runner: r.name },
      (at / 1000).toFixed(3),
    ]);
  }
  gauge(
    METRIC.tokenExpiry,
    "When each runner's authentication token in config.toml expires (Unix time).",
    expiries,
  );
  return lines.join("\n") + "\n";
}

/** Reads the previous metrics file: only a regular file (not a symlink), at most 1 MiB. */
async function readPrevious(path: string): Promise<string | undefined> {
  const bytes = await readRegularFileIfAny(path, MAX_PREVIOUS_BYTES);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

/** The config's runners after the run; none when it is missing or unreadable. */
async function configRunners(prefix: string, instance: string): Promise<LocalRunner[]> {
  try {
    return (await loadLocalConfig(join(prefix, `config.${instance}.toml`)))?.runners ?? [];
  } catch {
    return [];
  }
}

/** What a file system entry is, in words, when it is not a regular file or a symlink. */
function notRegular(info: Deno.FileInfo): string | undefined {
  if (info.isFile || info.isSymlink) return undefined;
  if (info.isDirectory) return "a directory";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * Refuses a path that holds something other than a regular file or a symlink (renaming over a
 * device node such as /dev/null as root would replace it); says when the directory is missing.
 */
async function checkTarget(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    try {
      await Deno.stat(dirname(path));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new MetricsDirectoryMissing(dirname(path));
      throw e;
    }
    return;
  }
  const what = notRegular(info);
  if (what !== undefined) {
    throw new Error(`${path} is ${what}, not a regular file; refusing to replace it`);
  }
}

/** Writes the metrics file of one run (see the module doc). */
export async function writeMetricsFile(path: string, facts: RunFacts): Promise<void> {
  await checkTarget(path);
  const previous = await readPrevious(path);
  const runners = await configRunners(facts.prefix, facts.instance);
  await writeFileAtomic(path, renderMetrics(facts, runners, previous), {
    mode: 0o644,
    followSymlink: false,
  });
}
