/**
 * One sync: load → lock → observe every GitLab → plan → apply → render → atomic write.
 * GitLabs are synced in parallel. A GitLab that cannot be reached keeps its last good runner
 * sections (degraded start) unless `strict` is set; any other failure leaves config.toml untouched.
 * The load → observe → plan stages are shared with `plan` (see `commands/pipeline.ts`).
 *
 * @module
 */

import { applyClientPlan, type ClientOutcome, type IssuedToken } from "../reconcile/apply.ts";
import {
  type RecheckedWriteOptions,
  writeConfigRechecked,
} from "../runner_config/config_writer.ts";
import { type JournalEntry, tokenFields, TokenJournal } from "../runner_config/journal.ts";
import { withLock } from "../runner_config/lock.ts";
import { writeOwnershipRecord } from "../runner_config/ownership_record.ts";
import { recordableOnce } from "../runner_config/recordable.ts";
import { ownerWarnings } from "./owner_warnings.ts";
import { recordBudget } from "./record_budget.ts";
import { unreachableWarning } from "./report.ts";
import { loadOrRecoverTornConfig } from "./torn_config.ts";
import {
  keepRotatedTokens,
  keptSections,
  obtainedNotInFuture,
  renderRunners,
  renderSiteConfig,
  type RunnerCredentials,
  serverNowFor,
} from "./config_out.ts";
import {
  loadInputs,
  noFallbackError,
  oneLine,
  overlayJournal,
  type PipelineOptions,
  planEachClient,
  readPlanningState,
  warnClockSkew,
} from "./pipeline.ts";
import type { ClockOffset } from "../gitlab/server_time.ts";
import { GitLabUnreachableError, InputError } from "../kernel/errors.ts";
import { normalizeUrl, parseLocalConfig, problemOf } from "../inputs/mod.ts";
import type {
  DesiredRunner,
  LocalConfig,
  LocalRunner,
  QuarantinedFile,
  RunnerRecord,
  Site,
} from "../kernel/model.ts";
import { isNoop } from "../reconcile/planner.ts";
import type { QuarantinePlan } from "../reconcile/quarantine.ts";
import { expiryWarnings } from "../runner_config/token_lifetime.ts";

/** Options of one sync. */
export interface SyncOptions extends PipelineOptions {
  /** Fail instead of keeping the last good config when a GitLab is unreachable. */
  strict: boolean;
  /** How long to wait for another run's lock. */
  lockTimeoutMs: number;
  /** `--allow-empty`: sync even with no executor file left (deleting every runner of the instance). */
  allowEmpty: boolean;
  /** Test seam: hooks of the config write (e.g. gitlab-runner rotating a token before the rename). */
  configWriteHooks?: Pick<RecheckedWriteOptions, "beforeRename">;
  /**
   * Told which GitLabs answered, once every GitLab was tried, also when the sync then fails (for
   * `--metrics-file`: a failed run has no report).
   */
  onReach?: (reach: GitLabReach[]) => void;
}

/** Whether one configured GitLab answered during a sync. */
export interface GitLabReach {
  url: string;
  /** False when it could not be reached (connection, timeout, 429/5xx after retries). */
  reached: boolean;
}

/** What happened with one GitLab. */
export type ClientReport =
  | { url: string; status: "synced"; plan: QuarantinePlan; outcome: ClientOutcome }
  | { url: string; status: "unreachable"; error: GitLabUnreachableError; kept: number };

/** The result of a sync, for the reporter. */
export interface SyncReport {
  outputFile: string;
  clients: ClientReport[];
  config: "written" | "unchanged";
  warnings: string[];
  /** Executor files left as they were (problems of their own); empty with `--strict`. */
  quarantined: QuarantinedFile[];
}

/** Runs one sync. Throws `RegisterRunnerError`s for the reporter. */
export async function sync(given: SyncOptions): Promise<SyncReport> {
  const options: SyncOptions = { ...given, confine: !given.strict };
  const { site, warnings, quarantined } = await loadInputs(options);
  if (site.executors.length === 0 && quarantined.length === 0 && !options.allowEmpty) {
    throw noExecutorsError(site);
  }
  // A read-only prefix: the lock cannot be created, so the run goes on without it (nobody can
  // write there) and warns; if anything needs changing, recording it fails before GitLab is
  // changed (record before acting, below), with exit 3.
  const lockOptions = {
    timeoutMs: options.lockTimeoutMs,
    clock: options.env.clock,
    onReadOnly: (message: string) => {
      options.env.logger.warn(message);
      warnings.push(message);
    },
  };
  return await withLock(
    site.prefix,
    site.instance,
    lockOptions,
    () => syncLocked(site, options, warnings, quarantined),
  );
}

async function syncLocked(
  site: Site,
  options: SyncOptions,
  warnings: string[],
  loaded: QuarantinedFile[],
): Promise<SyncReport> {
  const { env } = options;
  const loadConfig = async (s: Site) => {
    const loaded = await loadOrRecoverTornConfig(s, env.clock);
    for (const w of loaded.warnings) env.logger.warn(w);
    warnings.push(...loaded.warnings);
    return loaded.local;
  };
  const state = await readPlanningState(site, options, warnings, loaded, loadConfig);
  const { local, desired } = state;
  const journal = new TokenJournal(state.journalPath);
  // Tokens issued this run, so a GitLab that fails mid-run keeps them in its degraded sections.
  const issuedThisRun: JournalEntry[] = [];
  const persist = async (issued: IssuedToken) => {
    const entry: JournalEntry = {
      clientKey: issued.clientKey,
      key: issued.desired.key,
      description: issued.desired.description,
      id: issued.id,
      ...tokenFields(issued.token),
      event: issued.event === "read" ? "reset" : issued.event,
    };
    await journal.append(entry);
    issuedThisRun.push(entry);
  };

  // Record before acting: no GitLab is changed unless the outcome can be written.
  const recordable = recordableOnce(site.prefix, site.instance, () => ({
    bytes: recordBudget(site, desired),
    what: recordedFiles(site),
    appendTo: [state.journalPath],
  }));

  const clocks = new Map<string, ClockOffset>();
  const results = await planEachClient(
    site,
    state,
    options,
    async (planned) => {
      const { client, api, plan, scope } = planned;
      if (!isNoop(plan)) await recordable();
      const outcome = await applyClientPlan(plan, {
        client: api,
        registrationToken: client.registrationToken,
        scope,
        persist,
        clock: env.clock,
        logger: env.logger,
        confineRefusals: !options.strict,
      });
      return { plan, outcome };
    },
    clocks,
    warnings,
  );
  warnClockSkew(site, clocks, env, warnings);
  const nowFor = serverNowFor(() => env.clock.now(), clocks);

  options.onReach?.(results.map((r, i) => ({
    url: site.clients[i]!.url,
    reached: r.status === "fulfilled" || !(r.reason instanceof GitLabUnreachableError),
  })));
  const reports: ClientReport[] = [];
  const fatal: unknown[] = [];
  results.forEach((r, i) => {
    const client = site.clients[i]!;
    if (r.status === "fulfilled") {
      reports.push({
        url: client.url,
        status: "synced",
        plan: r.value.plan,
        outcome: r.value.outcome,
      });
    } else if (
      r.reason instanceof GitLabUnreachableError && !options.strict && local !== undefined
    ) {
      // `kept` is counted once the fallback sections are rendered, below.
      reports.push({ url: client.url, status: "unreachable", error: r.reason, kept: 0 });
    } else {
      fatal.push(r.reason);
    }
  });
  if (fatal.length > 0) {
    const first = fatal[0];
    if (first instanceof GitLabUnreachableError && !options.strict && local === undefined) {
      throw noFallbackError(first, site.outputFile);
    }
    throw first;
  }
  const quarantined = [...state.quarantined];
  const refused = reports.flatMap((r) => (r.status === "synced" ? r.outcome.refused : []));
  if (refused.length > 0 && refused.length === desired.length) throw refused[0]!.error;
  for (const { desired: d, error } of refused) {
    const file = site.executors.find((e) => e.key === d.key)?.file ?? d.key;
    const problem = { ...problemOf(error), where: { file } };
    quarantined.push({ key: d.key, file, problems: [problem], names: runnerNames(d) });
    const w = `${file}: GitLab refused to register its runner: ${oneLine(error.message)}; ` +
      `${file} is left as it was: nothing is registered for it (--strict fails instead)`;
    env.logger.warn(w);
    warnings.push(w);
  }

  const applied = new Map<string, RunnerCredentials>();
  for (const r of reports) {
    if (r.status === "synced") {
      for (const rr of r.outcome.runners) applied.set(rr.desired.key, rr);
    }
  }
  const unreachable = new Set(
    reports.filter((r) => r.status === "unreachable").map((r) => normalizeUrl(r.url)),
  );
  const known = overlayJournal(state.localRunners, issuedThisRun);
  const held = new Set(
    reports.flatMap((r) => (r.status === "synced" ? r.plan.heldByListing : [])),
  );
  let rendered = obtainedNotInFuture(
    renderRunners(site, desired, applied, unreachable, known, held),
    nowFor,
  );
  for (const r of reports) {
    if (r.status !== "unreachable") continue;
    r.kept = rendered.filter((x) => x.url === r.url).length;
    const w = unreachableWarning(r.url, r.error, r.kept);
    env.logger.warn(w);
    warnings.push(w);
  }
  // Sections of quarantined files are kept byte for byte, from the file as it is when written.
  const keep = {
    held: reports.flatMap((r) => (r.status === "synced" ? r.plan.held : [])),
    refused: refused.map((r) => r.desired),
    unreachable: [...unreachable],
    quarantined,
  };
  let kept = keptSections(local, local, keep);
  const text = (fresh: LocalConfig | undefined) => {
    kept = keptSections(local, fresh, keep);
    return renderSiteConfig(site, rendered, kept, desired, local?.runners);
  };
  if (text(local) !== local?.text) await recordable();
  // Read again just before and just after the rename: a token gitlab-runner rotated meanwhile
  // (in place, in the file we replace or in ours) is kept, not overwritten by the revoked one.
  const ownerLost = ownerWarnings(env.logger, warnings);
  const write = await writeConfigRechecked(site.outputFile, (onDisk) => {
    const fresh = parsedOrUndefined(site.outputFile, onDisk);
    rendered = obtainedNotInFuture(keepRotatedTokens(rendered, local, fresh), nowFor);
    return text(fresh);
  }, { mode: 0o600, onOwnerLost: ownerLost, ...options.configWriteHooks });
  if (!write.settled) {
    const w = `${site.outputFile} kept changing while it was written (gitlab-runner rotating ` +
      "tokens?); the last version written keeps every newer token seen; run again to be sure";
    env.logger.warn(w);
    warnings.push(w);
  }
  const written = write.result;
  // Which file each runner belongs to, for the next run (before the journal, which also says it).
  // The config holds every token already: a record that cannot be written (a read-only prefix
  // with nothing to change) leaves the next run to the description rules, with a warning.
  try {
    await writeOwnershipRecord(
      state.recordPath,
      recordAfterSync(desired, applied, state.record, unreachable, held, quarantined),
    );
  } catch (error) {
    if (error instanceof InputError) throw error; // a link or directory in the way: exit 3
    const w = `cannot write the ownership record ${state.recordPath}: ${
      error instanceof Error ? error.message : String(error)
    }; the next run matches runners to executor files by their descriptions`;
    env.logger.warn(w);
    warnings.push(w);
  }
  for (const w of expiryWarnings(rendered, (r) => nowFor(r.url))) {
    env.logger.warn(w);
    warnings.push(w);
  }
  // The journal may go once the config holds its tokens, except tokens a later run still needs.
  await journal.replace(tokensStillNeeded(site, unreachable, known, [...rendered, ...kept]));
  return { outputFile: site.outputFile, clients: reports, config: written, warnings, quarantined };
}

/** The config in `text` (read from `path`), or undefined when there is none or it does not parse. */
function parsedOrUndefined(path: string, text: string | undefined): LocalConfig | undefined {
  if (text === undefined) return undefined;
  try {
    return parseLocalConfig(path, text);
  } catch {
    return undefined;
  }
}

/** sync refuses to run with no executor file: that would delete every runner of the instance. */
function noExecutorsError(site: Site): InputError {
  return new InputError(
    `no executor file in ${site.executorDir}: sync would delete every runner of instance ` +
      `"${site.instance}" in GitLab; nothing was changed (runners and ${site.outputFile} kept)`,
    {
      where: { file: site.executorDir },
      hint: "restore the executor files (was the directory emptied by configuration " +
        "management?); to remove this instance's runners run `register-runner unregister " +
        "--yes`, or pass --allow-empty to sync with none",
    },
  );
}

/**
 * The ownership record after a sync: each desired runner's file with the id it ended up with.
 * Runners not synced this run (their GitLab unreachable, or held) and those of quarantined files
 * keep their previous entry. Pure.
 */
export function recordAfterSync(
  desired: DesiredRunner[],
  applied: ReadonlyMap<string, RunnerCredentials>,
  previous: RunnerRecord[] | undefined,
  unreachable: ReadonlySet<string>,
  held: ReadonlySet<string>,
  quarantined: readonly QuarantinedFile[] = [],
): RunnerRecord[] {
  const out: RunnerRecord[] = [];
  for (const d of desired) {
    const id = applied.get(d.key)?.id;
    if (id !== undefined) {
      out.push({ clientKey: d.clientKey, key: d.key, id, description: d.description });
      continue;
    }
    if (!unreachable.has(d.clientKey) && !held.has(d.key)) continue;
    const before = previous?.find((r) => r.clientKey === d.clientKey && r.key === d.key);
    if (before) out.push(before);
  }
  const stale = new Set(quarantined.map((q) => q.key));
  for (const r of previous ?? []) if (stale.has(r.key)) out.push(r);
  return out;
}

/** What sync records in the prefix, for the "cannot record" error. */
function recordedFiles(site: Site): string {
  return `${site.outputFile} and the token journal`;
}

/** A desired runner's current and former descriptions. */
function runnerNames(d: DesiredRunner): string[] {
  return [d.description, ...d.formerDescriptions];
}
/**
 * Tokens the written config drops but a later run needs: runners of a GitLab that could not be
 * reached, that has no personal access token (so they cannot be listed), and whose executor file
 * is gone. Deleting them takes their own token (`DELETE /runners`); without it they would be
 * orphaned in GitLab. They stay in the journal until a run reaches that GitLab.
 */
export function tokensStillNeeded(
  site: Site,
  unreachable: ReadonlySet<string>,
  known: LocalRunner[],
  rendered: { name: string; url: string }[],
): JournalEntry[] {
  const written = new Set(rendered.map((r) => `${normalizeUrl(r.url)} ${r.name}`));
  const unlistable = new Set(
    site.clients.filter((c) => !c.personalAccessToken && unreachable.has(c.key)).map((c) => c.key),
  );
  const needed: JournalEntry[] = [];
  for (const l of known) {
    if (!l.token || l.url === undefined || l.name === undefined) continue;
    const clientKey = normalizeUrl(l.url);
    if (!unlistable.has(clientKey) || written.has(`${clientKey} ${l.name}`)) continue;
    needed.push({
      clientKey,
      key: l.name,
      description: l.name,
      id: l.id ?? 0,
      ...tokenFields(l.token),
      event: "registered",
    });
  }
  return needed;
}
