/**
 * The stages every command that talks to GitLab shares: load the site, read the local state
 * (config.toml overlaid with journaled tokens, system id, desired runners), then, per GitLab and
 * in parallel, observe and plan. `sync` then applies and writes; `plan` only reports.
 *
 * Nothing here writes a file or changes GitLab: observing is `GET` listings and details plus
 * `POST /runners/verify`, which GitLab treats as a heartbeat (it updates `contacted_at`).
 *
 * @module
 */

import { dirname } from "node:path";
import {
  entryToken,
  type JournalEntry,
  journalPath,
  TokenJournal,
} from "../runner_config/journal.ts";
import { ownershipRecordPath, readOwnershipRecord } from "../runner_config/ownership_record.ts";
import { desiredRunners, hostnameProblem, quarantinedType } from "../desired/runners.ts";
import { readGitLabRunnerVersion, type RunnerBinary } from "../desired/facts/gitlab_runner.ts";
import { type RunnerInfo, runnerInfo } from "../gitlab/runner_info.ts";
import type { RuntimeEnv } from "../kernel/env.ts";
import { GitLabUnreachableError, InputError } from "../kernel/errors.ts";
import { type GitLabClient, openClient, type ThrottleStats } from "../gitlab/client.ts";
import { type ClockOffset, skewWarning } from "../gitlab/server_time.ts";
import { gatherHostFacts } from "../desired/host_facts.ts";
import {
  InputErrors,
  loadLocalConfig,
  loadSite,
  normalizeUrl,
  readSystemId,
} from "../inputs/mod.ts";
import type {
  ClientConfig,
  DesiredRunner,
  LocalConfig,
  LocalRunner,
  Observation,
  QuarantinedFile,
  RunnerRecord,
  RunnerScope,
  Site,
} from "../kernel/model.ts";
import { observeClient } from "../reconcile/observe.ts";
import { located } from "./report.ts";
import { planWithQuarantine, type QuarantinePlan } from "../reconcile/quarantine.ts";
import { spareOtherUrls } from "../reconcile/other_urls.ts";
import { type ClientPlan, isVariableReference } from "../reconcile/planner.ts";

/** Options shared by the commands that read the prefix and talk to GitLab. */
export interface PipelineOptions {
  prefix: string;
  instance: string;
  env: RuntimeEnv;
  /** Overall budget for talking to GitLab, retries included. */
  timeoutMs: number;
  /** Refuse group/other-accessible inputs (default true; tests on odd filesystems may turn it off). */
  checkPermissions: boolean;
  /** Requests in flight per GitLab. */
  concurrency: number;
  /** `--tag-schema`: JSON Schema file the tag properties must satisfy. */
  tagSchemaFile?: string;
  /** `--capture-tags`: executable whose JSON output is merged into the tag properties. */
  captureTagsProgram?: string;
  /**
   * Quarantine an executor file whose problems are its own instead of failing (sync without
   * `--strict`, plan); see `QuarantinedFile`. Default false (`check`, `unregister`).
   */
  confine?: boolean;
}

/** What was read from the prefix besides the site: the local runners and their tokens. */
export interface LocalState {
  /** The existing config.toml, if any. */
  local: LocalConfig | undefined;
  /** Its runners with the journal's tokens laid over them. */
  localRunners: LocalRunner[];
  /** The token journal of this prefix and instance. */
  journalPath: string;
  /** The host's gitlab-runner `system_id`, if known. */
  systemId: string | undefined;
  /** The `info` gitlab-runner would send with a local runner's verify, where its executor is known. */
  infoFor?: ((local: LocalRunner) => RunnerInfo | undefined) | undefined;
  /** The ownership record file of this prefix and instance. */
  recordPath: string;
  /**
   * Which executor file each runner belongs to: the record with the journal's new runners laid
   * over it; `undefined` when the host has neither (the description rules decide alone).
   */
  record: RunnerRecord[] | undefined;
}

/** The local state plus the runners this host wants. */
export interface PlanningState extends LocalState {
  desired: DesiredRunner[];
  /** Executor files left as they were this run (only with `confine`). */
  quarantined: QuarantinedFile[];
}

/** Loads and validates the site; logs and returns its warnings. Reads only. */
export async function loadInputs(
  options: Pick<PipelineOptions, "prefix" | "instance" | "env" | "checkPermissions" | "confine">,
): Promise<{ site: Site; warnings: string[]; quarantined: QuarantinedFile[] }> {
  const problem = hostnameProblem(options.env.hostname);
  if (problem !== undefined) {
    throw new InputError(
      `the host name ${JSON.stringify(options.env.hostname.slice(0, 80))} ${problem}: it cannot ` +
        "be a GitLab tag, so this host's runners could never be recognised",
      {
        hint: "set REGISTER_RUNNER_HOSTNAME to a name without commas, blanks at either end, " +
          "of 1 to 255 characters (or fix the system's host name)",
      },
    );
  }
  const { site, warnings, quarantined } = await loadSite({
    prefix: options.prefix,
    instance: options.instance,
    env: options.env,
    checkPermissions: options.checkPermissions,
    confine: options.confine ?? false,
  });
  for (const w of warnings) options.env.logger.warn(w);
  return { site, warnings, quarantined };
}

/** Reads config.toml (the default loader), without writing anything. */
export type ConfigLoader = (site: Site) => Promise<LocalConfig | undefined>;

/**
 * Reads config.toml (through `loadConfig`: sync's may keep a torn one aside), the journal and the
 * system id. Reads only, with the default loader.
 */
export async function readLocalState(
  site: Site,
  options: Pick<PipelineOptions, "env">,
  loadConfig: ConfigLoader = (s) => loadLocalConfig(s.outputFile),
): Promise<LocalState> {
  const { env } = options;
  const local = await loadConfig(site);
  const path = journalPath(site.prefix, site.instance);
  const journaled = await TokenJournal.read(path);
  for (const w of journaled.warnings) env.logger.warn(w);
  const localRunners = overlayJournal(local?.runners ?? [], journaled);
  if (journaled.length > 0) {
    env.logger.warn(
      `found ${journaled.length} token(s) journaled by an interrupted run in ${path}; adopting them`,
    );
  }
  const systemId = await readSystemId(dirname(site.outputFile), {
    warn: (message) => env.logger.warn(message),
  });
  const recordPath = ownershipRecordPath(site.prefix, site.instance);
  const read = await readOwnershipRecord(recordPath);
  for (const w of read.warnings) env.logger.warn(w);
  const record = overlayRecord(read.runners, journaled);
  for (const w of unconfiguredGitLabs(site, localRunners)) env.logger.warn(w);
  return { local, localRunners, journalPath: path, systemId, recordPath, record };
}

/**
 * One warning per local runner (with a token) of a GitLab no longer in `client_configs`: its
 * section leaves the config, but without that GitLab's credentials register-runner cannot delete
 * it there, so it is named instead of orphaned silently.
 */
export function unconfiguredGitLabs(site: Site, local: LocalRunner[]): string[] {
  const keys = new Set(site.clients.map((c) => c.key));
  return local.flatMap((l) => {
    if (!l.token || l.url === undefined || keys.has(normalizeUrl(l.url))) return [];
    const name = l.name ?? `config.toml runner #${l.index}`;
    return [
      `${name}${l.id === undefined ? "" : ` (#${l.id})`} at ${l.url}: that GitLab is no longer ` +
      "in client_configs, so this runner leaves the config but is NOT deleted there; delete it " +
      "in that GitLab (or put the GitLab back and remove its executor file)",
    ];
  });
}

/**
 * The ownership record with the runners an interrupted run journaled laid over it: a journaled
 * runner (its executor file stem and new id) replaces the record's entry for that file. Entries
 * kept only for a later deletion (their key is the description, see `sync.ts`) say nothing about
 * files.
 */
export function overlayRecord(
  record: RunnerRecord[] | undefined,
  entries: JournalEntry[],
): RunnerRecord[] | undefined {
  const fresh = entries.filter((e) => e.id > 0 && e.key !== e.description);
  if (record === undefined && fresh.length === 0) return undefined;
  const out = new Map((record ?? []).map((r) => [`${r.clientKey} ${r.key}`, r]));
  for (const e of fresh) {
    out.set(`${e.clientKey} ${e.key}`, {
      clientKey: e.clientKey,
      key: e.key,
      id: e.id,
      description: e.description,
    });
  }
  return [...out.values()];
}

/** The runners this host wants (tags from the host facts); warnings are logged and appended. */
export async function readDesired(
  site: Site,
  options: Pick<PipelineOptions, "env" | "tagSchemaFile" | "captureTagsProgram" | "confine">,
  warnings: string[],
  others: { types: readonly string[]; quarantined?: QuarantinedFile[] } = { types: [] },
): Promise<DesiredRunner[]> {
  const host = await gatherHostFacts({
    env: options.env,
    tagSchemaFile: options.tagSchemaFile,
    captureTagsProgram: options.captureTagsProgram,
    site,
  });
  const { runners, warnings: tagWarnings, quarantined } = desiredRunners(site, host, {
    confine: options.confine ?? false,
    otherTypes: others.types,
  });
  for (const w of tagWarnings) options.env.logger.warn(w);
  warnings.push(...tagWarnings);
  others.quarantined?.push(...quarantined);
  return runners;
}

/**
 * {@link readLocalState} and {@link readDesired} together, in sync's order. Files quarantined
 * while loading (`quarantined`) and while computing tags are returned together, each logged as a
 * warning; when no executor file is left the run fails with their problems.
 */
export async function readPlanningState(
  site: Site,
  options: PipelineOptions,
  warnings: string[],
  loaded: readonly QuarantinedFile[] = [],
  loadConfig?: ConfigLoader,
): Promise<PlanningState> {
  const state = await readLocalState(site, options, loadConfig);
  const localNames = state.localRunners.flatMap((l) => (l.name === undefined ? [] : [l.name]));
  const recordedFor = (key: string) => (state.record ?? []).filter((r) => r.key === key);
  const typeOf = (key: string) =>
    quarantinedType(
      key,
      localNames,
      options.env.hostname,
      site.instance,
      recordedFor(key).map((r) => r.description),
    );
  const quarantined = loaded.map((q): QuarantinedFile => {
    const type = typeOf(q.key);
    const name = `${options.env.hostname} ${site.instance} ${type} ${q.key} Runner`;
    return { ...q, names: type === undefined ? [] : [name] };
  });
  const types = loaded.flatMap((q) => {
    const type = typeOf(q.key);
    return type === undefined ? [] : [type];
  });
  const desired = await readDesired(site, options, warnings, { types, quarantined });
  // The record says which runner each quarantined file has, whatever its description now.
  for (const [i, q] of quarantined.entries()) {
    const recorded = recordedFor(q.key);
    if (recorded.length === 0) continue;
    quarantined[i] = {
      ...q,
      names: [...new Set([...q.names, ...recorded.map((r) => r.description)])],
      recorded: recorded.map((r) => ({ clientKey: r.clientKey, id: r.id })),
    };
  }
  if (quarantined.length > 0 && desired.length === 0) throw quarantineError(quarantined);
  quarantined.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const q of quarantined) {
    for (const p of q.problems) {
      const w =
        `${
          oneLine(located(p.message, p.where))
        }; ${q.file} is left as it was: its runner is kept, ` +
        "nothing is registered, updated or deleted for it (--strict fails instead)";
      options.env.logger.warn(w);
      warnings.push(w);
    }
  }
  const binary = state.localRunners.some((l) => l.token !== undefined)
    ? await readGitLabRunnerVersion(options.env.getEnv("PATH"))
    : undefined;
  return { ...state, desired, quarantined, infoFor: infoForLocal(desired, binary) };
}

/** A multi-line message on one line (a warning keeps its level prefix). */
export function oneLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
}

/** The problems of quarantined files as the error that fails the run (every file is bad). */
export function quarantineError(quarantined: readonly QuarantinedFile[]): InputError {
  const errors = quarantined.flatMap((q) =>
    q.problems.map((p) =>
      new InputError(p.message, {
        ...(p.where === undefined ? {} : { where: p.where }),
        ...(p.hint === undefined ? {} : { hint: p.hint }),
      })
    )
  );
  return errors.length === 1 ? errors[0]! : new InputErrors(errors);
}

/**
 * The `info` for a local runner's verify: what gitlab-runner 19.3 would send for the executor
 * file the entry belongs to (matched by name, as the planner matches it).
 */
function infoForLocal(
  desired: DesiredRunner[],
  binary: RunnerBinary | undefined,
): (local: LocalRunner) => RunnerInfo | undefined {
  return (local) => {
    const d = desired.find((r) => r.description === local.name) ??
      desired.find((r) => local.name !== undefined && r.formerDescriptions.includes(local.name));
    if (d === undefined) return undefined;
    const shell = typeof d.runnerKeys.shell === "string" ? d.runnerKeys.shell : undefined;
    return runnerInfo(d.executor, shell, binary);
  };
}

/** The local runners that belong to one GitLab. */
function localOf(client: ClientConfig, runners: LocalRunner[]): LocalRunner[] {
  return runners.filter((l) => l.url !== undefined && normalizeUrl(l.url) === client.key);
}

/** One GitLab observed, handed to a command's per-client work. */
export interface ObservedClient {
  client: ClientConfig;
  /** Open until the work resolves. */
  api: GitLabClient;
  local: LocalRunner[];
  observation: Observation;
}

/**
 * For every GitLab in parallel: open a client, observe it, then run `work`; the client is closed
 * afterwards. Results are in `site.clients` order; failures are returned, not thrown. `clocks`,
 * when given, gets how far each GitLab's clock (client key) is ahead of this host's, as its
 * replies' `Date` headers said (failed runs included, if any reply came). The observations'
 * warnings (about the access tokens) are logged and appended to `warnings`. `onObserved`, when
 * given, hears each GitLab's observation as soon as it is made (`undefined` when it failed). A
 * GitLab that throttled (429, 503) gets a warning too, saying how often and how long — unless it
 * was given up on (unreachable): then the outage summary on the error says it, throttle time
 * included.
 */
export function observeEachClient<T>(
  site: Site,
  state: LocalState,
  options: PipelineOptions,
  work: (observed: ObservedClient) => Promise<T>,
  clocks?: Map<string, ClockOffset>,
  warnings: string[] = [],
  onObserved?: (clientKey: string, observation: Observation | undefined) => void,
): Promise<PromiseSettledResult<T>[]> {
  const deadline = options.env.clock.monotonic() + options.timeoutMs;
  return Promise.allSettled(site.clients.map(async (client) => {
    let heard = false;
    const hear = (o: Observation | undefined) => {
      if (!heard) onObserved?.(client.key, o);
      heard = true;
    };
    try {
      return await observeOne(client, hear);
    } finally {
      hear(undefined); // failed before observing, or while observing
    }
  }));

  async function observeOne(client: ClientConfig, hear: (o: Observation) => void): Promise<T> {
    const local = localOf(client, state.localRunners);
    let gaveUp = false;
    const api = openClient(client, options.env, {
      secrets: local.flatMap((l) => (l.token ? [l.token.token] : [])),
      concurrency: options.concurrency,
      deadline,
    });
    try {
      const observation = await observeClient({
        client: api,
        clientKey: client.key,
        hostname: options.env.hostname,
        instance: site.instance,
        local,
        systemId: state.systemId,
        canList: client.personalAccessToken !== undefined,
        infoFor: state.infoFor,
        url: client.url,
        scope: client.scope,
      });
      hear(observation);
      for (const w of observation.warnings ?? []) {
        options.env.logger.warn(w);
        warnings.push(w);
      }
      return await work({ client, api, local, observation });
    } catch (error) {
      // Given up on: the error's outage summary carries the throttle time (one line, not two).
      if (error instanceof GitLabUnreachableError && error.outage?.throttled) gaveUp = true;
      throw error;
    } finally {
      const offset = api.clockOffset();
      if (clocks && offset !== undefined) clocks.set(client.key, offset);
      api.close();
      const throttled = gaveUp ? undefined : throttleWarning(client.url, api.throttleStats());
      if (throttled !== undefined) {
        options.env.logger.warn(throttled);
        warnings.push(throttled);
      }
    }
  }
}

/** One GitLab observed and planned, handed to the command's per-client work. */
export interface PlannedClient {
  client: ClientConfig;
  /** Open until the work resolves. */
  api: GitLabClient;
  desired: DesiredRunner[];
  local: LocalRunner[];
  plan: QuarantinePlan;
  /** The runners this GitLab's entry manages, resolved. */
  scope: RunnerScope;
}

/**
 * For every GitLab in parallel: observe, plan, check that it is not another GitLab of the site
 * under a second URL ({@link refuseSameGitLab}), log the plan's warnings, then run `work` (sync
 * applies; plan returns the plan). Results are in `site.clients` order; failures are returned.
 * `clocks` as for {@link observeEachClient}.
 */
export function planEachClient<T>(
  site: Site,
  state: PlanningState,
  options: PipelineOptions,
  work: (planned: PlannedClient) => Promise<T>,
  clocks?: Map<string, ClockOffset>,
  warnings: string[] = [],
): Promise<PromiseSettledResult<T>[]> {
  const quarantineOf = (clientKey: string) => ({
    files: state.quarantined.map((q) => q.file),
    names: state.quarantined.flatMap((q) => q.names),
    keys: state.quarantined.map((q) => q.key),
    ids: state.quarantined.flatMap((q) =>
      (q.recorded ?? []).filter((r) => r.clientKey === clientKey).map((r) => r.id)
    ),
  });
  // Each GitLab's observation, for the other GitLabs' same-GitLab check (verify's runner ids).
  const observed = new Map<string, Promise<Observation | undefined>>();
  const settle = new Map<string, (o: Observation | undefined) => void>();
  for (const c of site.clients) {
    observed.set(c.key, new Promise((resolve) => settle.set(c.key, resolve)));
  }
  const onObserved = (key: string, o: Observation | undefined) => settle.get(key)?.(o);
  return observeEachClient(
    site,
    state,
    options,
    async ({ client, api, local, observation }) => {
      const desired = state.desired.filter((d) => d.clientKey === client.key);
      const record = state.record?.filter((r) => r.clientKey === client.key);
      const planned = planWithQuarantine({
        desired,
        local,
        observation,
        credentials: {
          personalAccessToken: client.personalAccessToken !== undefined,
          registrationToken: client.registrationToken !== undefined,
        },
        ...(record === undefined ? {} : { record }),
      }, quarantineOf(client.key));
      const others = site.clients.filter((c) => c !== client).map((c) => ({
        client: c,
        local: localOf(c, state.localRunners),
        record: state.record?.filter((r) => r.clientKey === c.key) ?? [],
        observation: observed.get(c.key)!,
      }));
      await refuseSameGitLab({ client, api, plan: planned }, others);
      const plan = spareOtherUrls(planned, {
        url: client.url,
        wantedElsewhere: wantedElsewhere(site, state.desired, client),
        provenHere: new Set([
          ...(record ?? []).map((r) => r.id),
          ...local.flatMap((l) => {
            const check = observation.tokenChecks.get(l.index);
            const id = check?.status === "valid" ? check.runnerId ?? l.id : undefined;
            return id === undefined ? [] : [id];
          }),
        ]),
      });
      for (const w of plan.warnings) {
        options.env.logger.warn(w);
        warnings.push(w);
      }
      return await work({
        client,
        api,
        desired,
        local,
        plan,
        scope: observation.scope ?? { kind: "instance" },
      });
    },
    clocks,
    warnings,
    onObserved,
  );
}

/** The descriptions executor files of the other urls want (see `spareOtherUrls`). */
function wantedElsewhere(
  site: Site,
  desired: readonly DesiredRunner[],
  client: ClientConfig,
): Map<string, { key: string; url: string }> {
  const out = new Map<string, { key: string; url: string }>();
  for (const d of desired) {
    if (d.clientKey === client.key) continue;
    const url = site.clients.find((c) => c.key === d.clientKey)?.url ?? d.clientKey;
    for (const description of [d.description, ...d.formerDescriptions]) {
      if (!out.has(description)) out.set(description, { key: d.key, url });
    }
  }
  return out;
}

/** What a throttled GitLab cost this run; undefined when it never throttled. */
export function throttleWarning(url: string, stats: ThrottleStats): string | undefined {
  if (stats.replies === 0) return undefined;
  const s = Math.round(stats.waitedMs / 100) / 10;
  return `GitLab ${url} throttled this run: ${stats.replies} repl${
    stats.replies === 1 ? "y" : "ies"
  } 429 or 503, requests held back for ${s} s in all (Retry-After honoured, with jitter)`;
}

/**
 * Refuses two `client_configs` urls that reach the same GitLab (an old and a new host name, a
 * name and its IP). GitLab exposes no instance identity, so the proof is a token: each url lists
 * the other's runners as its own and would delete them as "no executor file", every other run.
 * Before any deletion by id of runner X at url A, a runner X in the local config under another url
 * B has its token verified at A (one extra request, only in this suspicious case: ids of distinct
 * GitLabs coincide often). B's entry is taken to be runner X when its `id` says so, when B's
 * verify reported X for its token, or when the ownership record holds X under B for that entry's
 * name. Accepted there: one GitLab, refused with exit 3 naming both urls, before anything is
 * changed at A (B refuses likewise on its side). Without such an entry (config.toml lost) no token
 * can prove it; `spareOtherUrls` then keeps the runners another url's files want.
 */
async function refuseSameGitLab(
  a: { client: ClientConfig; api: GitLabClient; plan: ClientPlan },
  others: {
    client: ClientConfig;
    local: LocalRunner[];
    record: RunnerRecord[];
    observation: Promise<Observation | undefined>;
  }[],
): Promise<void> {
  const ids = new Set(a.plan.deletions.flatMap((d) => (d.by === "id" ? [d.runnerId] : [])));
  if (ids.size === 0) return;
  for (const b of others) {
    const observation = await b.observation;
    for (const l of b.local) {
      if (!l.token || isVariableReference(l.token)) continue;
      const check = observation?.tokenChecks.get(l.index);
      const hints = [
        l.id,
        check?.status === "valid" ? check.runnerId : undefined,
        ...b.record.filter((r) => r.description === l.name).map((r) => r.id),
      ];
      const id = hints.find((h): h is number => h !== undefined && ids.has(h));
      if (id === undefined) continue;
      const there = await a.api.verifyRunner(l.token.token, undefined);
      if (there.status !== "valid" || (there.runnerId !== undefined && there.runnerId !== id)) {
        continue;
      }
      throw new InputError(
        `client_configs urls ${a.client.url} and ${b.client.url} reach the same GitLab: ` +
          `runner #${id}, whose token config.toml holds for ${b.client.url}, is also accepted ` +
          `by ${a.client.url}, which would delete it as not wanted; nothing was deleted`,
        {
          where: a.client.source,
          hint: "list each GitLab once in client_configs (use one url for it in every " +
            "executor file), then run again",
        },
      );
    }
  }
}

/**
 * Turns a GitLab that could not be reached with no previous config into the error sync reports:
 * the original reason and hint (e.g. an untrusted certificate: set ca_file), plus the fact that
 * there is nothing to fall back on.
 */
export function noFallbackError(
  error: GitLabUnreachableError,
  outputFile: string,
): GitLabUnreachableError {
  const { baseUrl, method, path } = error.request;
  const lead = `GitLab ${baseUrl} could not be reached for ${method} ${path}: `;
  const reason = error.message.startsWith(lead) ? error.message.slice(lead.length) : error.message;
  const nothing = `${outputFile} does not exist yet, so there is nothing to fall back on`;
  return new GitLabUnreachableError(
    error.request,
    `${reason}; and there is no previous config to start from`,
    error.lastStatus,
    {
      hint: error.hint
        ? `${error.hint} (${nothing})`
        : `${nothing}; fix the connection to GitLab and run again`,
      cause: error,
    },
  );
}

/**
 * Local runners with the tokens an interrupted run journaled laid over them: a journaled token
 * replaces the entry of the same runner id (or name), or is added when the config never heard of
 * that runner. An id of 0 means unknown (a token kept for a later deletion, see `sync.ts`).
 */
export function overlayJournal(local: LocalRunner[], entries: JournalEntry[]): LocalRunner[] {
  const result = [...local];
  let next = local.reduce((max, l) => Math.max(max, l.index + 1), 0);
  for (const e of entries) {
    const at = result.findIndex((l) =>
      l.url !== undefined && normalizeUrl(l.url) === e.clientKey &&
      ((e.id > 0 && l.id === e.id) || l.name === e.description)
    );
    const entry: LocalRunner = {
      index: at >= 0 ? result[at]!.index : next++,
      name: e.description,
      url: e.clientKey,
      ...(e.id > 0 ? { id: e.id } : {}),
      token: entryToken(e),
    };
    if (at >= 0) result[at] = entry;
    else result.push(entry);
  }
  return result;
}

/**
 * One warning per GitLab whose clock (as its `Date` headers said) is more than five minutes from
 * this host's, naming both times; each is logged and added to `warnings`.
 */
export function warnClockSkew(
  site: Site,
  clocks: ReadonlyMap<string, ClockOffset>,
  env: RuntimeEnv,
  warnings: string[],
): void {
  for (const client of site.clients) {
    const w = skewWarning(client.url, env.clock.now(), clocks.get(client.key));
    if (w === undefined) continue;
    env.logger.warn(w);
    warnings.push(w);
  }
}
