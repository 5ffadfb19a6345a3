/**
 * Endpoints authenticated by a token in the request body (`lib/api/ci/runner.rb`):
 * legacy registration, verify, unregister (runner or manager) and token self-reset.
 *
 * @module
 */

import { newRunnerAttributes, readAttributes } from "./attributes.ts";
import type { RequestContext } from "./context.ts";
import { resetTokenResult, runnerTokenResult } from "./entities.ts";
import { optString, optStringMap, type Params, requireString } from "./params.ts";
import { forbidden, json, noContent, notFound, validationError } from "./responses.ts";
import { hasErrors, validateRunner } from "./rules.ts";
import type { FakeRunner, RunnerInfo } from "./state.ts";

/** The runner whose valid (unexpired) token is in the body, or the 403 to send. */
function runnerFromBody(ctx: RequestContext): FakeRunner | Response {
  const token = requireString(ctx.params, "token");
  return ctx.state.authenticRunner(token, ctx.now) ?? forbidden();
}

/** `POST /runners`: register with a registration token (410 when registration is disabled). */
export function registerRunner(ctx: RequestContext): Response {
  const token = requireString(ctx.params, "token");
  const attrs = newRunnerAttributes(readAttributes(ctx.params, ctx.options, "create"));
  const info = optStringMap(ctx.params, "info") ?? {};
  const { options, state } = ctx;
  if (!options.allowRegistrationToken && token !== "") {
    return json(410, { message: "410 Gone - runner registration disallowed" });
  }
  const registration = state.registrationTokens.get(token);
  if (registration === undefined) {
    return forbidden("invalid token supplied");
  }
  const errors = validateRunner(attrs);
  if (hasErrors(errors)) return validationError(errors);
  const runner = state.insertRunner(
    {
      ...attrs,
      runner_type: registration.runner_type,
      registration_type: "registration_token",
      group_ids: registration.group_id === null ? [] : [registration.group_id],
      project_ids: registration.project_id === null ? [] : [registration.project_id],
      info,
    },
    ctx.now,
    options.tokenExpiresInSeconds,
    options.registeredTokenPrefix,
  );
  return json(201, runnerTokenResult(runner, options.omitTokenExpiresAt));
}

/** `info` as the heartbeat reads it (`get_runner_details_from_request`): strings, plus `features`. */
function heartbeatInfo(
  params: Params,
): { info: RunnerInfo; features: Record<string, boolean> | undefined } {
  const raw = params.info;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { info: {}, features: undefined };
  }
  const record = raw as Record<string, unknown>;
  const info: Record<string, string> = {};
  for (
    const key of ["name", "version", "revision", "platform", "architecture", "executor", "shell"]
  ) {
    const value = record[key];
    if (typeof value === "string") info[key] = value;
  }
  const rawFeatures = record.features;
  let features: Record<string, boolean> | undefined;
  if (typeof rawFeatures === "object" && rawFeatures !== null && !Array.isArray(rawFeatures)) {
    features = {};
    for (const [key, value] of Object.entries(rawFeatures)) {
      features[key] = value === true || value === "true";
    }
  }
  return { info, features };
}

/** A group or project runner whose groups or projects are all gone (`sharding_key_id` nil). */
function isOrphaned(ctx: RequestContext, runner: FakeRunner): boolean {
  if (runner.runner_type === "group_type") {
    return !runner.group_ids.some((id) => ctx.state.groups.has(id));
  }
  if (runner.runner_type === "project_type") {
    return !runner.project_ids.some((id) => ctx.state.projects.has(id));
  }
  return false;
}

/**
 * `POST /runners/verify`: a heartbeat (`authenticate_runner!`) that creates the runner manager
 * for `system_id` (from 15.10), then 200 with `{id, token, token_expires_at}` (the JSON string
 * `"200"` before 15.10). `info` is not declared but the heartbeat reads it from the raw params.
 * An orphaned group/project runner: 200 (old), 422 `Runner is orphaned`, or 403.
 */
export function verifyRunner(ctx: RequestContext): Response {
  const systemId = optString(ctx.params, "system_id");
  const { info, features } = heartbeatInfo(ctx.params);
  const runner = runnerFromBody(ctx);
  if (runner instanceof Response) return runner;
  const { options } = ctx;
  if (isOrphaned(ctx, runner)) {
    if (options.orphanedVerify === "403") return forbidden("Runner is orphaned");
    if (options.orphanedVerify === "422") return json(422, { message: "Runner is orphaned" });
  }
  ctx.state.heartbeat(runner, {
    systemId: options.runnerManagers ? systemId ?? "<legacy>" : undefined,
    info,
    features,
    updateContact: !(options.glrtVerifySkipsContact && runner.token.startsWith("glrt-")),
    storeFeatures: options.verifyRuntimeFeatures,
  }, ctx.now);
  if (options.legacyVerifyBody) return json(200, "200");
  return json(200, runnerTokenResult(runner, options.omitTokenExpiresAt));
}

/** `DELETE /runners`: deletes the whole runner (any token type). */
export function unregisterRunner(ctx: RequestContext): Response {
  const runner = runnerFromBody(ctx);
  if (runner instanceof Response) return runner;
  ctx.state.runners.delete(runner.id);
  return noContent();
}

/** `DELETE /runners/managers`: removes one runner manager; the runner stays. */
export function unregisterManager(ctx: RequestContext): Response {
  requireString(ctx.params, "token");
  const systemId = requireString(ctx.params, "system_id");
  const runner = runnerFromBody(ctx);
  if (runner instanceof Response) return runner;
  if (!ctx.state.removeManager(runner, systemId)) {
    return notFound("Runner manager not found");
  }
  return noContent();
}

/** `POST /runners/reset_authentication_token`: new token for a still-valid token. */
export function resetOwnToken(ctx: RequestContext): Response {
  const runner = runnerFromBody(ctx);
  if (runner instanceof Response) return runner;
  ctx.state.resetToken(runner, ctx.now, ctx.options.tokenExpiresInSeconds);
  return json(201, resetTokenResult(runner, ctx.options.omitTokenExpiresAt));
}
