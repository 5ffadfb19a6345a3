/**
 * Carries out one GitLab's plan. Steps for different runners run concurrently (the client bounds
 * how many requests are in flight). Every token GitLab issues is handed to `persist` — which
 * writes it durably — before any further request is made for that runner.
 *
 * A crash can still lose the tokens whose replies were in flight. With a personal access token
 * that is harmless: the next run finds those runners in the listing and resets them in place.
 * Without one (registration token only) nothing can be listed and a lost token is an orphan in
 * GitLab, so those registrations go one at a time, each persisted before the next is sent: a
 * crash loses at most the one whose reply was in flight.
 *
 * @module
 */

import type { Clock, Logger } from "../kernel/env.ts";
import { GitLabApiError } from "../kernel/errors.ts";
import type { CreateRunnerParams, GitLabClient } from "../gitlab/client.ts";
import { UserRunnersApiMissingError } from "../gitlab/client.ts";
import { isoSecondsOf } from "../gitlab/server_time.ts";
import type { DesiredRunner, RunnerScope, RunnerToken } from "../kernel/model.ts";
import type { AttributeDiff, ClientPlan, Deletion, RunnerStep } from "./planner.ts";
import type { Secret } from "../kernel/secret.ts";

/** A runner token GitLab just issued, to be persisted before anything else happens. */
export interface IssuedToken {
  clientKey: string;
  desired: DesiredRunner;
  id: number;
  token: RunnerToken;
  event: "created" | "registered" | "reset" | "read";
}

/** The state of one desired runner after apply: what goes into config.toml. */
export interface RunnerResult {
  desired: DesiredRunner;
  action: "kept" | "restored" | "registered";
  id: number | undefined;
  token: RunnerToken;
  /** The attribute changes applied with PUT, if any. */
  updated?: AttributeDiff;
}

/** What happened with one GitLab. */
export interface ClientOutcome {
  clientKey: string;
  runners: RunnerResult[];
  deleted: Deletion[];
  /**
   * Registrations GitLab refused with 403 or 410 (only with `confineRefusals`): nothing was
   * registered for these runners; the others were applied.
   */
  refused: { desired: DesiredRunner; error: GitLabApiError }[];
}

/** What {@link applyClientPlan} needs. */
export interface ApplyContext {
  client: GitLabClient;
  registrationToken: Secret | undefined;
  /** Whose runners to create: the instance's (default), or a group's or project's. */
  scope?: RunnerScope;
  /** Durably records a newly issued token; must resolve only once it is on disk. */
  persist(issued: IssuedToken): Promise<void>;
  clock: Clock;
  logger: Logger;
  /**
   * A registration GitLab refuses with 403 or 410 is that runner's own problem: report it in
   * `refused` instead of failing the plan (sync quarantines its executor file).
   */
  confineRefusals?: boolean;
}

/**
 * Applies a plan. All steps are attempted; if any failed, the first failure is thrown after the
 * others settle (tokens issued meanwhile are already persisted).
 */
export async function applyClientPlan(plan: ClientPlan, ctx: ApplyContext): Promise<ClientOutcome> {
  const issuing = oneAtATime();
  const refused: ClientOutcome["refused"] = [];
  const stepResults = plan.steps.map(async (s) => {
    try {
      return await applyStep(plan.clientKey, s, ctx, issuing);
    } catch (error) {
      if (!ctx.confineRefusals || s.action !== "register" || !isRefusal(error)) throw error;
      refused.push({ desired: s.desired, error });
      return undefined;
    }
  });
  const deletions = plan.deletions.map((d) => applyDeletion(d, ctx));
  const settled = await Promise.allSettled([...stepResults, ...deletions]);
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  const runners: RunnerResult[] = [];
  for (const r of settled) {
    if (r.status === "fulfilled" && r.value !== undefined) runners.push(r.value);
  }
  return { clientKey: plan.clientKey, runners, deleted: plan.deletions, refused };
}

/** GitLab refused to register a runner: forbidden (403) or registration disabled (410). */
function isRefusal(error: unknown): error is GitLabApiError {
  return error instanceof GitLabApiError && (error.status === 403 || error.status === 410);
}

/** Runs the tasks given to it one after the other, in call order, whatever their outcome. */
type Serializer = <T>(task: () => Promise<T>) => Promise<T>;

function oneAtATime(): Serializer {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}

async function applyStep(
  clientKey: string,
  step: RunnerStep,
  ctx: ApplyContext,
  issuing: Serializer,
): Promise<RunnerResult> {
  const { desired } = step;
  switch (step.action) {
    case "keep": {
      await update(step.runnerId, step.update, ctx);
      return {
        desired,
        action: "kept",
        id: step.runnerId ?? step.local.id,
        token: step.token,
        ...(step.update ? { updated: step.update } : {}),
      };
    }
    case "restore": {
      let issued: IssuedToken;
      try {
        issued = await restoreToken(clientKey, step, ctx);
      } catch (error) {
        if (!resetUnavailable(error, step)) throw error;
        return await replaceRunner(clientKey, step, ctx);
      }
      await ctx.persist(issued);
      ctx.logger.info(`restored the token of ${desired.description}`, {
        runner: step.runnerId,
        method: step.method,
        reason: step.reason,
      });
      await update(step.runnerId, step.update, ctx);
      return {
        desired,
        action: "restored",
        id: issued.id,
        token: issued.token,
        ...(step.update ? { updated: step.update } : {}),
      };
    }
    case "register": {
      // Only unlistable registrations are serialized (see the module doc).
      const serial: Serializer = step.via === "registration-token" ? issuing : (task) => task();
      const issued = await serial(async () => {
        const issued = await register(clientKey, desired, step.via, ctx);
        await ctx.persist(issued);
        return issued;
      });
      return registeredResult(issued, ctx);
    }
  }
}

/**
 * True when a token reset failed because this GitLab cannot reset tokens at all (no
 * `reset_authentication_token` route before GitLab 14.3) or the runner vanished meanwhile: both 404.
 */
function resetUnavailable(
  error: unknown,
  step: Extract<RunnerStep, { action: "restore" }>,
): boolean {
  return step.method === "reset" && error instanceof GitLabApiError && error.status === 404;
}

/**
 * The last resort when a token can be neither read back nor reset: delete the runner and register
 * it again (new id). Only reached on GitLab older than 14.3 without the LLNL patch.
 */
async function replaceRunner(
  clientKey: string,
  step: Extract<RunnerStep, { action: "restore" }>,
  ctx: ApplyContext,
): Promise<RunnerResult> {
  const { desired } = step;
  ctx.logger.warn(
    `cannot recover the token of ${desired.description} (#${step.runnerId}) in place: this GitLab ` +
      "cannot reset runner tokens (older than 14.3) and does not expose them (no patch); deleting " +
      "the runner and registering it again (it gets a new id)",
  );
  await ctx.client.deleteRunner(step.runnerId);
  const issued = await register(clientKey, desired, "pat", ctx);
  await ctx.persist(issued);
  return registeredResult(issued, ctx);
}

/** Logs a registration and turns its (persisted) token into the runner's result. */
function registeredResult(issued: IssuedToken, ctx: ApplyContext): RunnerResult {
  ctx.logger.info(`registered ${issued.desired.description}`, {
    runner: issued.id,
    via: issued.event,
  });
  return {
    desired: issued.desired,
    action: "registered",
    id: issued.id,
    token: issued.token,
  };
}

/** The token of a runner being restored: read back (patched GitLab) or reset. */
async function restoreToken(
  clientKey: string,
  step: Extract<RunnerStep, { action: "restore" }>,
  ctx: ApplyContext,
): Promise<IssuedToken> {
  const base = { clientKey, desired: step.desired, id: step.runnerId };
  if (step.method === "read" && step.token) {
    // GitLab's time, not the host's: a host clock far ahead must not date the token in the future.
    const obtainedAt = isoSecondsOf(ctx.client.serverNow());
    const token = { token: step.token, obtainedAt, expiresAt: undefined };
    return { ...base, token, event: "read" };
  }
  return { ...base, token: await ctx.client.resetRunnerToken(step.runnerId), event: "reset" };
}

function creationParams(d: DesiredRunner): CreateRunnerParams {
  const a = d.attributes;
  return {
    description: d.description,
    tag_list: d.tags,
    run_untagged: a.run_untagged,
    locked: a.locked,
    paused: a.paused,
    ...(a.access_level === undefined ? {} : { access_level: a.access_level }),
    ...(a.maximum_timeout === undefined ? {} : { maximum_timeout: a.maximum_timeout }),
    ...(a.maintenance_note === undefined ? {} : { maintenance_note: a.maintenance_note }),
  };
}

async function register(
  clientKey: string,
  desired: DesiredRunner,
  via: "pat" | "registration-token",
  ctx: ApplyContext,
): Promise<IssuedToken> {
  const params = creationParams(desired);
  if (via === "pat") {
    try {
      const created = await ctx.client.createRunner(params, ctx.scope);
      return { clientKey, desired, ...created, event: "created" };
    } catch (error) {
      if (!(error instanceof UserRunnersApiMissingError) || !ctx.registrationToken) throw error;
      // A registration token registers whatever runner type it belongs to: never in a scope.
      if (ctx.scope !== undefined && ctx.scope.kind !== "instance") throw error;
      ctx.logger.info(
        "this GitLab has no POST /user/runners (older than 15.10); using the registration token",
      );
    }
  }
  if (!ctx.registrationToken) {
    throw new Error(`internal: no credential to register ${desired.description}`);
  }
  const registered = await ctx.client.registerRunner(ctx.registrationToken, params);
  return { clientKey, desired, ...registered, event: "registered" };
}

async function update(id: number | undefined, diff: AttributeDiff | undefined, ctx: ApplyContext) {
  if (!diff || id === undefined) return;
  const change: Record<string, unknown> = {};
  for (const [field, values] of Object.entries(diff)) {
    change[field] = (values as [unknown, unknown])[1];
  }
  await ctx.client.updateRunner(id, change);
  ctx.logger.info(`updated runner ${id}`, { fields: Object.keys(diff).join(",") });
}

/** Deletes one runner (by id with the PAT, or by its own token) and logs it; "gone" is fine. */
export async function applyDeletion(
  d: Deletion,
  ctx: Pick<ApplyContext, "client" | "logger">,
): Promise<undefined> {
  const result = d.by === "id"
    ? await ctx.client.deleteRunner(d.runnerId)
    : await ctx.client.deleteRunnerByToken(d.token);
  ctx.logger.info(`deleted ${d.description}`, {
    ...(d.by === "id" ? { runner: d.runnerId } : {}),
    reason: d.reason,
    ...(result === "gone" ? { note: "already gone" } : {}),
  });
  return undefined;
}
