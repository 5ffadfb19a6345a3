/**
 * One sync: load → lock → observe every GitLab → plan → apply → render → atomic write.
 * GitLabs are synced in parallel. A GitLab that cannot be reached keeps its last good runner
 * sections (degraded start) unless `strict` is set; any other failure leaves config.toml untouched.
 *
 * @module
 */

import {
  applyClientPlan,
  type ClientOutcome,
  type IssuedToken,
  type RunnerResult,
} from "./apply.ts";
import { acquireLock } from "./config/lock.ts";
import { journalPath, TokenJournal } from "./config/journal.ts";
import { preferNewerToken } from "./config/merge_rotated.ts";
import { renderConfig, type RenderedRunner } from "./config/render.ts";
import { writeFileAtomic } from "./config/atomic_write.ts";
import { desiredRunners } from "./desired.ts";
import { gatherHostFacts } from "./host_facts.ts";
import type { RuntimeEnv } from "./env.ts";
import { GitLabUnreachableError } from "./errors.ts";
import { GitLabClient } from "./gitlab/client.ts";
import { loadLocalConfig, loadSite, normalizeUrl, readSystemId } from "./load/mod.ts";
import type { ClientConfig, DesiredRunner, LocalConfig, LocalRunner, Site } from "./model.ts";
import { observeClient } from "./observe.ts";
import { type ClientPlan, planClient } from "./plan.ts";
import { Secret } from "./secret.ts";
import { expiryWarnings } from "./token_lifetime.ts";
import { VERSION } from "./version.ts";

/** Options of one sync. */
export interface SyncOptions {
  prefix: string;
  instance: string;
  env: RuntimeEnv;
  /** Fail instead of keeping the last good config when a GitLab is unreachable. */
  strict: boolean;
  /** Overall budget for talking to GitLab, retries included. */
  timeoutMs: number;
  /** How long to wait for another run's lock. */
  lockTimeoutMs: number;
  /** Refuse group/other-accessible inputs (default true; tests on odd filesystems may turn it off). */
  checkPermissions: boolean;
  /** Where gitlab-runner's machine id comes from (for `system_id`). */
  machineIdFile?: string;
  /** Requests in flight per GitLab. */
  concurrency: number;
  /** `--tag-schema`: JSON Schema file the tag properties must satisfy. */
  tagSchemaFile?: string;
  /** `--capture-tags`: executable whose JSON output is merged into the tag properties. */
  captureTagsProgram?: string;
}

/** What happened with one GitLab. */
export type ClientReport =
  | { url: string; status: "synced"; plan: ClientPlan; outcome: ClientOutcome }
  | { url: string; status: "unreachable"; error: GitLabUnreachableError; kept: number };

/** The result of a sync, for the reporter. */
export interface SyncReport {
  outputFile: string;
  clients: ClientReport[];
  config: "written" | "unchanged";
  warnings: string[];
}

/** Paths of the files register-runner keeps beside the output. */
export function statePaths(prefix: string, instance: string) {
  return { journal: journalPath(prefix, instance) };
}

/** Runs one sync. Throws `RegisterRunnerError`s for the reporter. */
export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { env } = options;
  const { site, warnings } = await loadSite({
    prefix: options.prefix,
    instance: options.instance,
    env,
    checkPermissions: options.checkPermissions,
  });
  for (const w of warnings) env.logger.warn(w);
  const lock = await acquireLock(site.prefix, site.instance, {
    timeoutMs: options.lockTimeoutMs,
    clock: env.clock,
  });
  try {
    return await syncLocked(site, options, warnings);
  } finally {
    await lock.release();
  }
}

async function syncLocked(
  site: Site,
  options: SyncOptions,
  warnings: string[],
): Promise<SyncReport> {
  const { env } = options;
  const local = await loadLocalConfig(site.outputFile);
  const journalPath = statePaths(site.prefix, site.instance).journal;
  const journaled = await TokenJournal.read(journalPath);
  for (const w of journaled.warnings) env.logger.warn(w);
  const localRunners = overlayJournal(local?.runners ?? [], journaled);
  if (journaled.length > 0) {
    env.logger.warn(
      `found ${journaled.length} token(s) journaled by an interrupted run in ${journalPath}; adopting them`,
    );
  }
  const systemId = await readSystemId(site.prefix, options.machineIdFile);
  const host = await gatherHostFacts({
    env,
    tagSchemaFile: options.tagSchemaFile,
    captureTagsProgram: options.captureTagsProgram,
  });
  const { runners: desired, warnings: tagWarnings } = desiredRunners(site, host);
  for (const w of tagWarnings) env.logger.warn(w);
  warnings.push(...tagWarnings);

  const journal = new TokenJournal(journalPath);
  const persist = (issued: IssuedToken) =>
    journal.append({
      clientKey: issued.clientKey,
      key: issued.desired.key,
      description: issued.desired.description,
      id: issued.id,
      token: issued.token.reveal(),
      tokenObtainedAt: issued.tokenObtainedAt,
      tokenExpiresAt: issued.tokenExpiresAt,
      event: issued.event === "read" ? "reset" : issued.event,
    });
  const deadline = env.clock.now().getTime() + options.timeoutMs;

  const results = await Promise.allSettled(site.clients.map((client) =>
    syncClient({
      client,
      site,
      options,
      desired: desired.filter((d) => d.clientKey === client.key),
      local: localRunners.filter((l) => l.url !== undefined && normalizeUrl(l.url) === client.key),
      systemId,
      persist,
      deadline,
    })
  ));

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
      const kept = desired.filter((d) => d.clientKey === client.key).length;
      reports.push({ url: client.url, status: "unreachable", error: r.reason, kept });
    } else {
      fatal.push(r.reason);
    }
  });
  if (fatal.length > 0) {
    const first = fatal[0];
    if (first instanceof GitLabUnreachableError && !options.strict && local === undefined) {
      throw new GitLabUnreachableError(
        first.request,
        "and there is no previous config to start from",
        first.lastStatus,
        {
          hint:
            `${site.outputFile} does not exist yet, so there is nothing to fall back on; fix the connection to GitLab and run again`,
          cause: first,
        },
      );
    }
    throw first;
  }

  const fresh = await loadLocalConfig(site.outputFile).catch(() => undefined);
  const rendered = keepRotatedTokens(renderRunners(site, desired, reports, localRunners), fresh);
  for (const w of expiryWarnings(rendered, env.clock.now())) {
    env.logger.warn(w);
    warnings.push(w);
  }
  const text = renderConfig({
    sources: { templateFile: site.templateFile, executorDir: site.executorDir },
    version: VERSION,
    globals: site.globals,
    runners: rendered,
  });
  const written = await writeFileAtomic(site.outputFile, text, { mode: 0o600 });
  await journal.clear();
  return { outputFile: site.outputFile, clients: reports, config: written, warnings };
}

interface ClientJob {
  client: ClientConfig;
  site: Site;
  options: SyncOptions;
  desired: DesiredRunner[];
  local: LocalRunner[];
  systemId: string | undefined;
  persist: (issued: IssuedToken) => Promise<void>;
  deadline: number;
}

async function syncClient(job: ClientJob): Promise<{ plan: ClientPlan; outcome: ClientOutcome }> {
  const { client, options } = job;
  const api = new GitLabClient({
    url: client.url,
    apiBase: client.apiBase,
    ...(client.personalAccessToken ? { pat: client.personalAccessToken } : {}),
    secrets: [
      ...(client.registrationToken ? [client.registrationToken] : []),
      ...job.local.flatMap((l) => (l.token ? [l.token] : [])),
    ],
    env: options.env,
    concurrency: options.concurrency,
    deadline: job.deadline,
    ...(client.caFile ? { caFile: client.caFile } : {}),
  });
  try {
    const observation = await observeClient({
      client: api,
      clientKey: client.key,
      hostname: options.env.hostname,
      instance: job.site.instance,
      local: job.local,
      systemId: job.systemId,
      canList: client.personalAccessToken !== undefined,
    });
    const plan = planClient({
      desired: job.desired,
      local: job.local,
      observation,
      credentials: {
        personalAccessToken: client.personalAccessToken !== undefined,
        registrationToken: client.registrationToken !== undefined,
      },
    });
    for (const w of plan.warnings) options.env.logger.warn(w);
    const outcome = await applyClientPlan(plan, {
      client: api,
      registrationToken: client.registrationToken,
      persist: job.persist,
      clock: options.env.clock,
      logger: options.env.logger,
    });
    return { plan, outcome };
  } finally {
    api.close();
  }
}

/**
 * Local runners with the tokens an interrupted run journaled laid over them: a journaled token
 * replaces the entry of the same runner id (or name), or is added when the config never heard of
 * that runner.
 */
export function overlayJournal(
  local: LocalRunner[],
  entries: {
    clientKey: string;
    description: string;
    id: number;
    token: string;
    tokenObtainedAt: string;
    tokenExpiresAt: string | null;
  }[],
): LocalRunner[] {
  const result = [...local];
  let next = local.reduce((max, l) => Math.max(max, l.index + 1), 0);
  for (const e of entries) {
    const at = result.findIndex((l) =>
      l.url !== undefined && normalizeUrl(l.url) === e.clientKey &&
      (l.id === e.id || l.name === e.description)
    );
    const entry: LocalRunner = {
      index: at >= 0 ? result[at]!.index : next++,
      name: e.description,
      url: e.clientKey,
      id: e.id,
      token: new Secret(e.token),
      tokenObtainedAt: e.tokenObtainedAt,
      ...(e.tokenExpiresAt === null ? {} : { tokenExpiresAt: e.tokenExpiresAt }),
    };
    if (at >= 0) result[at] = entry;
    else result.push(entry);
  }
  return result;
}

/** The `[[runners]]` sections to write, in desired order. */
function renderRunners(
  site: Site,
  desired: DesiredRunner[],
  reports: ClientReport[],
  local: LocalRunner[],
): RenderedRunner[] {
  const results = new Map<string, RunnerResult>();
  for (const r of reports) {
    if (r.status === "synced") {
      for (const rr of r.outcome.runners) results.set(rr.desired.key, rr);
    }
  }
  const unreachable = new Set(
    reports.filter((r) => r.status === "unreachable").map((r) => normalizeUrl(r.url)),
  );
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
        ...(result.tokenObtainedAt ? { tokenObtainedAt: result.tokenObtainedAt } : {}),
        ...(result.tokenExpiresAt ? { tokenExpiresAt: result.tokenExpiresAt } : {}),
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
      ...(l.tokenObtainedAt ? { tokenObtainedAt: l.tokenObtainedAt } : {}),
      ...(l.tokenExpiresAt ? { tokenExpiresAt: l.tokenExpiresAt } : {}),
    });
  }
  return out;
}

/** Keeps tokens that gitlab-runner rotated on disk while we were running. */
function keepRotatedTokens(
  runners: RenderedRunner[],
  disk: LocalConfig | undefined,
): RenderedRunner[] {
  if (!disk) return runners;
  return runners.map((r) => {
    const onDisk = disk.runners.find((l) => r.id !== undefined && l.id === r.id);
    if (!onDisk) return r;
    const kept = preferNewerToken(
      {
        ...(r.token ? { token: r.token } : {}),
        ...(r.tokenObtainedAt ? { tokenObtainedAt: r.tokenObtainedAt } : {}),
        ...(r.tokenExpiresAt ? { tokenExpiresAt: r.tokenExpiresAt } : {}),
      },
      {
        ...(onDisk.token ? { token: onDisk.token } : {}),
        ...(onDisk.tokenObtainedAt ? { tokenObtainedAt: onDisk.tokenObtainedAt } : {}),
        ...(onDisk.tokenExpiresAt ? { tokenExpiresAt: onDisk.tokenExpiresAt } : {}),
      },
    );
    const { token: _t, tokenObtainedAt: _o, tokenExpiresAt: _e, ...rest } = r;
    return { ...rest, ...kept };
  });
}
