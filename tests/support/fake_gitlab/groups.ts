/**
 * Groups, projects, memberships with roles, group and project access tokens, and the permission
 * checks GitLab makes on them for runners. Pure functions over {@link FakeState}.
 *
 * Source (gitlabhq/gitlabhq, newest stored versions unless noted):
 * - Roles: `Gitlab::Access` (`lib/gitlab/access.rb`): Guest 10, Reporter 20, Developer 30,
 *   Maintainer 40, Owner 50. A member of a group is a member, with the same role, of its
 *   subgroups and their projects (`Group#max_member_access_for_user` over the ancestors,
 *   `Project#team.max_member_access`); a direct membership can only raise it.
 * - `app/policies/group_policy.rb`: `admin_runners` / `create_runners` (create, update, reset,
 *   delete a group runner) for Owner; `read_runners` / `read_group_runners` (the group listing) for
 *   Maintainer since 16.x (15.x: Owner only; the version is a guess, the MR was not found).
 * - `app/policies/project_policy.rb` (17.x): the `maintainer_access` block gives
 *   `create_runner`, `admin_project_runners`, `read_project_runners` and `admin_runner`.
 * - `app/policies/ci/runner_policy.rb`: `can_admin_runner` is `admin_runners` on the runner's
 *   owner (the group; for a project runner its first project, the owner project); read for
 *   Maintainer in any of the runner's groups or projects.
 * - Group and project access tokens are personal access tokens of a bot user who is a member of
 *   the group or project with the token's role (`lib/gitlab/auth.rb`, `resource_bot_scopes`: no
 *   `admin_mode`, `sudo`, `read_user`).
 * - Visibility: every group and project here is private, so a non-member (not an admin) gets
 *   `404 Group Not Found` / `404 Project Not Found` (`find_group!`, `find_project!`). A
 *   simplification: public and internal namespaces are not modelled.
 *
 * @module
 */

import {
  type FakeGroup,
  type FakeProject,
  type FakeRunner,
  type FakeState,
  type FakeUser,
} from "./state.ts";

/** `Gitlab::Access` levels. */
export const ROLE = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

/** A role name. */
export type Role = keyof typeof ROLE;

/** The member source key of a group or project. */
function source(kind: "group" | "project", id: number): string {
  return `${kind}:${id}`;
}

/** Makes `userId` a direct member of the group or project with `role`. */
export function addMember(
  state: FakeState,
  kind: "group" | "project",
  id: number,
  userId: number,
  role: Role,
): void {
  const key = source(kind, id);
  const members = state.members.get(key) ?? new Map<number, number>();
  members.set(userId, ROLE[role]);
  state.members.set(key, members);
}

/** The group's ancestors and itself, nearest first. */
export function groupChain(state: FakeState, groupId: number): FakeGroup[] {
  const chain: FakeGroup[] = [];
  for (let g = state.groups.get(groupId); g !== undefined && chain.length < 20;) {
    chain.push(g);
    g = g.parent_id == null ? undefined : state.groups.get(g.parent_id);
  }
  return chain;
}

/** A group's full path (`parent/child`). */
export function groupFullPath(state: FakeState, groupId: number): string {
  return groupChain(state, groupId).map((g) => g.path).reverse().join("/");
}

/** A project's `path_with_namespace`. */
export function projectFullPath(state: FakeState, project: FakeProject): string {
  return `${groupFullPath(state, project.group_id)}/${project.path}`;
}

/** The user's access level in a group: the highest over the group and its ancestors; 0 none. */
export function groupAccess(state: FakeState, user: FakeUser, groupId: number): number {
  let level = 0;
  for (const g of groupChain(state, groupId)) {
    if (g.owner_ids.includes(user.id)) level = Math.max(level, ROLE.owner);
    level = Math.max(level, state.members.get(source("group", g.id))?.get(user.id) ?? 0);
  }
  return level;
}

/** The user's access level in a project (its own members, or its group's); 0 none. */
export function projectAccess(state: FakeState, user: FakeUser, projectId: number): number {
  const project = state.projects.get(projectId);
  if (project === undefined) return 0;
  let level = groupAccess(state, user, project.group_id);
  if (project.maintainer_ids.includes(user.id)) level = Math.max(level, ROLE.maintainer);
  return Math.max(level, state.members.get(source("project", projectId))?.get(user.id) ?? 0);
}

/** `admin_runners` on a group (Owner) or on a project (Maintainer). */
export function canAdminRunnersOf(
  state: FakeState,
  user: FakeUser,
  target: { groupId?: number; projectId?: number },
): boolean {
  if (user.admin) return true;
  if (target.groupId !== undefined) return groupAccess(state, user, target.groupId) >= ROLE.owner;
  if (target.projectId !== undefined) {
    return projectAccess(state, user, target.projectId) >= ROLE.maintainer;
  }
  return false;
}

/** `read_group_runners` / `read_project_runners`: the listings (Maintainer, 16+). */
export function canListRunnersOf(
  state: FakeState,
  user: FakeUser,
  target: { groupId?: number; projectId?: number },
): boolean {
  if (user.admin) return true;
  if (target.groupId !== undefined) {
    return groupAccess(state, user, target.groupId) >= ROLE.maintainer;
  }
  return target.projectId !== undefined &&
    projectAccess(state, user, target.projectId) >= ROLE.maintainer;
}

/** `Ci::RunnerPolicy` `update_runner` / `delete_runner` for a non-admin on a group or project runner. */
export function canAdminRunner(state: FakeState, user: FakeUser, runner: FakeRunner): boolean {
  if (user.admin) return true;
  if (runner.runner_type === "group_type") {
    return runner.group_ids.some((id) => canAdminRunnersOf(state, user, { groupId: id }));
  }
  if (runner.runner_type === "project_type") {
    const owner = runner.project_ids[0];
    return owner !== undefined && canAdminRunnersOf(state, user, { projectId: owner });
  }
  return false;
}

/** `read_runner` on a group or project runner: Maintainer in any of its groups or projects. */
export function canReadRunner(state: FakeState, user: FakeUser, runner: FakeRunner): boolean {
  if (canAdminRunner(state, user, runner)) return true;
  if (runner.runner_type === "group_type") {
    return runner.group_ids.some((id) => groupAccess(state, user, id) >= ROLE.maintainer);
  }
  return runner.project_ids.some((id) => projectAccess(state, user, id) >= ROLE.maintainer);
}

/** Whether the user may see the (private) group: any membership, inherited included, or admin. */
export function canSeeGroup(state: FakeState, user: FakeUser, groupId: number): boolean {
  return user.admin || groupAccess(state, user, groupId) >= ROLE.guest;
}

/** Whether the user may see the (private) project. */
export function canSeeProject(state: FakeState, user: FakeUser, projectId: number): boolean {
  return user.admin || projectAccess(state, user, projectId) >= ROLE.guest;
}

/** A group by numeric id or full path (case-insensitive, as GitLab's routes). */
export function findGroup(state: FakeState, ref: string): FakeGroup | undefined {
  if (/^\d+$/.test(ref)) return state.groups.get(Number(ref));
  const wanted = ref.toLowerCase();
  return [...state.groups.values()].find((g) =>
    groupFullPath(state, g.id).toLowerCase() === wanted
  );
}

/** A project by numeric id or `path_with_namespace`. */
export function findProject(state: FakeState, ref: string): FakeProject | undefined {
  if (/^\d+$/.test(ref)) return state.projects.get(Number(ref));
  const wanted = ref.toLowerCase();
  return [...state.projects.values()].find((p) =>
    projectFullPath(state, p).toLowerCase() === wanted
  );
}

let nextId = 1000;

/** Adds a group (a subgroup with `parent_id`); returns it. */
export function addGroup(
  state: FakeState,
  group: { name: string; path: string; parent_id?: number },
): FakeGroup {
  const id = nextId++;
  const created: FakeGroup = { id, owner_ids: [], parent_id: null, ...group };
  state.groups.set(id, created);
  return created;
}

/** Adds a project in a group; returns it. */
export function addProject(
  state: FakeState,
  project: { name: string; path: string; group_id: number },
): FakeProject {
  const id = nextId++;
  const created: FakeProject = { id, maintainer_ids: [], ...project };
  state.projects.set(id, created);
  return created;
}

/** Adds a user (not an admin); returns it. */
export function addUser(state: FakeState, username: string): FakeUser {
  const id = nextId++;
  const user: FakeUser = { id, username, name: username, admin: false };
  state.users.set(id, user);
  return user;
}

/** Options of {@link addToken}. */
export interface TokenSeed {
  /** Scopes, e.g. `["create_runner", "manage_runner", "read_api"]`. */
  scopes: string[];
  /** "YYYY-MM-DD", or `null` (default) for a token that never expires. */
  expires_at?: string | null;
  /** A label. */
  name?: string;
}

/** Adds a personal access token of `user`; returns its (fake) value. */
export function addToken(state: FakeState, user: FakeUser, seed: TokenSeed): string {
  const token = `glpat-fake-${user.username}-${state.pats.size}`.padEnd(26, "0");
  state.pats.set(token, {
    token,
    name: seed.name ?? `${user.username}-token`,
    user_id: user.id,
    scopes: [...seed.scopes],
    expires_at: seed.expires_at ?? null,
    revoked: false,
  });
  return token;
}

/**
 * A group or project access token: a bot user, a member of the group or project with `role`,
 * and its personal access token. Admin scopes are refused, as GitLab offers none to bots.
 */
export function addAccessToken(
  state: FakeState,
  kind: "group" | "project",
  id: number,
  role: Role,
  seed: TokenSeed,
): string {
  if (seed.scopes.some((s) => ["admin_mode", "sudo", "read_user"].includes(s))) {
    throw new Error(`a ${kind} access token cannot have ${seed.scopes.join(", ")}`);
  }
  const bot = addUser(state, `${kind}_${id}_bot_${nextId}`);
  bot.bot = true;
  addMember(state, kind, id, bot.id, role);
  return addToken(state, bot, seed);
}

/** The ids of a PAT, stable per value (GitLab's are database ids). */
export function patId(state: FakeState, token: string): number {
  return [...state.pats.keys()].indexOf(token) + 1;
}

/**
 * The error `POST /user/runners` gives when the group or project has reached its plan's runner
 * limit (`Limitable` on `Ci::RunnerNamespace` / `Ci::RunnerProject`, limit names
 * `ci_registered_group_runners` / `ci_registered_project_runners`; only runners created or
 * contacted within seven days count), else `undefined`. The wording of the joined message
 * (attribute `runner_namespaces.base` humanized) is a guess: no spec shows it for this endpoint.
 */
export function runnerLimitMessage(
  state: FakeState,
  target: { groupId?: number; projectId?: number },
  now: Date,
): string | undefined {
  const kind = target.groupId !== undefined ? "group" : "project";
  const limit = state.runnerLimits[kind];
  if (limit === undefined || (target.groupId ?? target.projectId) === undefined) return undefined;
  const recent = (r: FakeRunner) =>
    Math.max(Date.parse(r.created_at), Date.parse(r.contacted_at ?? "0")) >
      now.getTime() - 7 * 86_400_000;
  const count = [...state.runners.values()].filter((r) =>
    recent(r) &&
    (kind === "group"
      ? r.runner_type === "group_type" && r.group_ids.includes(target.groupId!)
      : r.runner_type === "project_type" && r.project_ids.includes(target.projectId!))
  ).length;
  if (count < limit) return undefined;
  const attribute = kind === "group" ? "Runner namespaces base" : "Runner projects base";
  return `${attribute} Maximum number of ci registered ${kind} runners (${limit}) exceeded`;
}
