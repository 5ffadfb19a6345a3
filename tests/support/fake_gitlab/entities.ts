/**
 * The JSON shapes GitLab returns for runners (`API::Entities::Ci::Runner`, `RunnerDetails`,
 * registration and reset results).
 *
 * @module
 */

import type { BehaviourOptions } from "./options.ts";
import { canManage, isOnline, runnerStatus } from "./rules.ts";
import type { FakeRunner, FakeState, FakeUser } from "./state.ts";

/** What an entity needs to know about the request. */
export interface EntityContext {
  /** The model (users, groups, projects). */
  state: FakeState;
  /** The caller. */
  user: FakeUser;
  /** The server clock's time. */
  now: Date;
  /** `http://127.0.0.1:PORT`, for `web_url`s. */
  origin: string;
  /** The version switches (which fields exist). */
  options: BehaviourOptions;
}

function userBasic(user: FakeUser, origin: string): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: "active",
    locked: false,
    avatar_url: null,
    web_url: `${origin}/${user.username}`,
  };
}

/** A list entry of `GET /runners` and `/runners/all`. Deliberately without `tag_list`. */
export function runnerEntity(runner: FakeRunner, ctx: EntityContext): Record<string, unknown> {
  const creator = runner.creator_id === null ? undefined : ctx.state.users.get(runner.creator_id);
  return {
    id: runner.id,
    description: runner.description,
    ip_address: null,
    active: !runner.paused,
    ...(ctx.options.pausedParam ? { paused: runner.paused } : {}),
    is_shared: runner.runner_type === "instance_type",
    runner_type: runner.runner_type,
    name: runner.info.name ?? null,
    online: isOnline(runner, ctx.now),
    status: runnerStatus(runner, ctx.now),
    ...(creator === undefined ? {} : { created_by: userBasic(creator, ctx.origin) }),
    created_at: runner.created_at,
    job_execution_status: "idle",
  };
}

/** `GET /runners/:id`: the list entry plus settings, version info, projects and groups. */
export function runnerDetails(
  runner: FakeRunner,
  ctx: EntityContext,
  opts: { includeProjects: boolean; exposeToken: boolean },
): Record<string, unknown> {
  const details: Record<string, unknown> = {
    ...runnerEntity(runner, ctx),
    tag_list: [...runner.tag_list],
    run_untagged: runner.run_untagged,
    locked: runner.locked,
    maximum_timeout: runner.maximum_timeout,
    access_level: runner.access_level,
    version: runner.info.version ?? null,
    revision: runner.info.revision ?? null,
    platform: runner.info.platform ?? null,
    architecture: runner.info.architecture ?? null,
    contacted_at: runner.contacted_at,
  };
  // `expose :maintenance_note, if: can?(:update_runner)`-style: the key is there (null when the
  // caller may not update the runner) from 16.10 (MR !144482); before, there is no such key.
  if (ctx.options.maintenanceNote) {
    details.maintenance_note = canManage(ctx.state, ctx.user, runner)
      ? runner.maintenance_note
      : null;
  }
  if (opts.includeProjects) {
    details.projects = runner.project_ids.flatMap((id) => {
      const project = ctx.state.projects.get(id);
      const group = project && ctx.state.groups.get(project.group_id);
      if (project === undefined || group === undefined) return [];
      return [{
        id: project.id,
        description: null,
        name: project.name,
        name_with_namespace: `${group.name} / ${project.name}`,
        path: project.path,
        path_with_namespace: `${group.path}/${project.path}`,
        created_at: runner.created_at,
      }];
    });
  }
  details.groups = runner.group_ids.flatMap((id) => {
    const group = ctx.state.groups.get(id);
    return group === undefined
      ? []
      : [{ id: group.id, web_url: `${ctx.origin}/groups/${group.path}`, name: group.name }];
  });
  // The LLNL patch: `expose :token, if: admin? || !instance_type?`.
  if (opts.exposeToken && (ctx.user.admin || runner.runner_type !== "instance_type")) {
    details.token = runner.token;
  }
  return details;
}

/** `{id, token, token_expires_at}` of register, create and verify (no expiry on GitLab ≤ 15.2). */
export function runnerTokenResult(
  runner: FakeRunner,
  omitExpiry: boolean,
): Record<string, unknown> {
  return omitExpiry
    ? { id: runner.id, token: runner.token }
    : { id: runner.id, token: runner.token, token_expires_at: runner.token_expires_at };
}

/** `{token, token_expires_at}` of the reset endpoints. */
export function resetTokenResult(runner: FakeRunner, omitExpiry: boolean): Record<string, unknown> {
  return omitExpiry
    ? { token: runner.token }
    : { token: runner.token, token_expires_at: runner.token_expires_at };
}
