/**
 * `POST /user/runners` (create a runner with a PAT, `lib/api/user_runners.rb`) and `GET /version`.
 *
 * @module
 */

import { newRunnerAttributes, readAttributes } from "./attributes.ts";
import { authenticate, type RequestContext } from "./context.ts";
import { runnerTokenResult } from "./entities.ts";
import { GrapeError, optEnum, optInt } from "./params.ts";
import { badRequest, forbidden, json, validationSentence } from "./responses.ts";
import { canCreate, hasErrors, validateRunner } from "./rules.ts";
import { runnerLimitMessage } from "./groups.ts";
import { RUNNER_TYPES } from "./state.ts";

/** `POST /user/runners`: 201 `{id, token: "glrt-…", token_expires_at}`. */
export function createUserRunner(ctx: RequestContext): Response {
  const user = authenticate(ctx, ["create_runner"]);
  if (user instanceof Response) return user;
  const runnerType = optEnum(ctx.params, "runner_type", RUNNER_TYPES);
  if (runnerType === undefined) throw new GrapeError("runner_type is missing");
  const groupId = optInt(ctx.params, "group_id");
  const projectId = optInt(ctx.params, "project_id");
  if (runnerType === "group_type" && groupId === undefined) {
    throw new GrapeError("group_id is missing");
  }
  if (runnerType === "project_type" && projectId === undefined) {
    throw new GrapeError("project_id is missing");
  }
  const attrs = newRunnerAttributes(readAttributes(ctx.params, ctx.options, "create"));
  const { state } = ctx;
  const target: { groupId?: number; projectId?: number } = {};
  if (runnerType === "instance_type") {
    if (groupId !== undefined || projectId !== undefined) return badRequest("Unexpected scope");
  } else if (runnerType === "group_type" && groupId !== undefined) {
    if (!state.groups.has(groupId)) return badRequest("Missing/invalid group");
    target.groupId = groupId;
  } else if (projectId !== undefined) {
    if (!state.projects.has(projectId)) return badRequest("Missing/invalid project");
    target.projectId = projectId;
  }
  if (!canCreate(state, user, target)) return forbidden("Insufficient permissions");
  const limited = runnerLimitMessage(state, target, ctx.now);
  if (limited !== undefined) return badRequest(limited);
  const errors = validateRunner(attrs);
  if (hasErrors(errors)) return validationSentence(errors);
  const runner = state.insertRunner(
    {
      ...attrs,
      runner_type: runnerType,
      registration_type: "authenticated_user",
      creator_id: user.id,
      group_ids: target.groupId === undefined ? [] : [target.groupId],
      project_ids: target.projectId === undefined ? [] : [target.projectId],
    },
    ctx.now,
    ctx.options.tokenExpiresInSeconds,
  );
  return json(201, runnerTokenResult(runner, ctx.options.omitTokenExpiresAt));
}

/**
 * `GET /version` (every version) and `GET /metadata` (15.2+), `lib/api/metadata.rb`: both need
 * a token (401 without).
 */
export function getVersion(ctx: RequestContext): Response {
  const user = authenticate(ctx, ["read_user"]);
  if (user instanceof Response) return user;
  const body: Record<string, unknown> = {
    version: ctx.options.gitlabVersion,
    revision: "fake0000",
  };
  if (ctx.path === "/metadata") body.kas = { enabled: false, externalUrl: null, version: null };
  return json(200, body);
}
