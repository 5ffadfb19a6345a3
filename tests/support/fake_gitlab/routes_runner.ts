/**
 * Endpoints authenticated by a token in the request body (`lib/api/ci/runner.rb`):
 * legacy registration, verify, unregister (runner or manager) and token self-reset.
 *
 * @module
 */

import { newRunnerAttributes, readAttributes } from "./attributes.ts";
import type { RequestContext } from "./context.ts";
import { resetTokenResult, runnerTokenResult } from "./entities.ts";
import { optString, optStringMap, requireString } from "./params.ts";
import { forbidden, json, noContent, notFound, validationError } from "./responses.ts";
import { hasErrors, validateRunner } from "./rules.ts";
import type { FakeRunner } from "./state.ts";

/** The runner whose valid (unexpired) token is in the body, or the 403 to send. */
function runnerFromBody(ctx: RequestContext): FakeRunner | Response {
  const token = requireString(ctx.params, "token");
  return ctx.state.authenticRunner(token, ctx.now) ?? forbidden();
}

/** `POST /runners`: register with a registration token (410 when registration is disabled). */
export function registerRunner(ctx: RequestContext): Response {
  const token = requireString(ctx.params, "token");
  const attrs = newRunnerAttributes(readAttributes(ctx.params));
  const info = optStringMap(ctx.params, "info") ?? {};
  const { options, state } = ctx;
  if (!options.allowRegistrationToken && token !== "") {
    return json(410, { message: "410 Gone - runner registration disallowed" });
  }
  const registration = state.registrationTokens.get(token);
  if (registration === undefined) {
    return forbidden("invalid token supplied", options.legacyErrorBodies);
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

/** `POST /runners/verify`: 200 and a heartbeat that records the runner manager. */
export function verifyRunner(ctx: RequestContext): Response {
  const systemId = optString(ctx.params, "system_id");
  const info = optStringMap(ctx.params, "info") ?? {};
  const runner = runnerFromBody(ctx);
  if (runner instanceof Response) return runner;
  ctx.state.heartbeat(runner, systemId, info, ctx.now);
  if (ctx.options.legacyVerifyBody) return json(200, 200);
  return json(200, runnerTokenResult(runner, ctx.options.omitTokenExpiresAt));
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
    return notFound("Runner manager not found", ctx.options.legacyErrorBodies);
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
