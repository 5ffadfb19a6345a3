/**
 * Group and project routes the runner tools use, and the token's self-information:
 *
 * - `GET /groups/:id`, `GET /projects/:id` (`lib/api/groups.rb`, `lib/api/projects.rb`): `:id` is
 *   a numeric id or the URL-encoded full path (`API::NAMESPACE_OR_PROJECT_REQUIREMENTS`); a group
 *   or project the caller may not see is `404 Group Not Found` / `404 Project Not Found`.
 *   Replies: `id`, `name`, `path`, `full_path`, `parent_id`, `web_url` (`Entities::Group`);
 *   `id`, `name`, `path`, `path_with_namespace`, `namespace` (`Entities::ProjectIdentity` and
 *   `BasicProjectDetails`).
 * - `GET /groups/:id/runners` (`lib/api/ci/runners.rb`, `authorize! :read_group_runners`: 403
 *   otherwise): `Ci::Runner.group_or_instance_wide(group)`, the runners of the group and its
 *   ancestors plus the instance runners (shared runners are taken as enabled).
 * - `GET /projects/:id/runners` (`authorize! :read_project_runners`):
 *   `Ci::Runner.owned_or_instance_wide(project.id)`, the runners assigned to the project, its
 *   groups' runners and the instance runners.
 * - `GET /personal_access_tokens/self` (`lib/api/personal_access_tokens/self_information.rb`,
 *   GitLab 15.5, issue #373999): any scope; `Entities::PersonalAccessToken` with `expires_at` as
 *   "YYYY-MM-DD". Before 15.5 the route does not exist (404).
 *
 * @module
 */

import { authenticate, type RequestContext } from "./context.ts";
import {
  canListRunnersOf,
  canSeeGroup,
  canSeeProject,
  findGroup,
  findProject,
  groupChain,
  groupFullPath,
  patId,
  projectFullPath,
} from "./groups.ts";
import { forbidden, json, notFound } from "./responses.ts";
import { scopedListing } from "./routes_runners.ts";
import type { FakeGroup, FakeProject, FakeRunner, FakeUser } from "./state.ts";

/** Every scope GitLab knows (`Gitlab::Auth.all_available_scopes`), for the self route. */
const ALL_SCOPES = [
  "api",
  "read_api",
  "read_user",
  "create_runner",
  "manage_runner",
  "read_repository",
  "write_repository",
  "read_registry",
  "write_registry",
  "sudo",
  "admin_mode",
  "ai_features",
  "k8s_proxy",
  "self_rotate",
  "read_service_ping",
];

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function groupEntity(ctx: RequestContext, group: FakeGroup): Record<string, unknown> {
  const fullPath = groupFullPath(ctx.state, group.id);
  return {
    id: group.id,
    web_url: `${ctx.url.origin}/groups/${fullPath}`,
    name: group.name,
    path: group.path,
    description: "",
    visibility: "private",
    full_name: groupChain(ctx.state, group.id).map((g) => g.name).reverse().join(" / "),
    full_path: fullPath,
    parent_id: group.parent_id ?? null,
    shared_runners_setting: "enabled",
  };
}

function projectEntity(ctx: RequestContext, project: FakeProject): Record<string, unknown> {
  const group = ctx.state.groups.get(project.group_id);
  const namespacePath = groupFullPath(ctx.state, project.group_id);
  return {
    id: project.id,
    description: null,
    name: project.name,
    name_with_namespace: `${group?.name ?? ""} / ${project.name}`,
    path: project.path,
    path_with_namespace: projectFullPath(ctx.state, project),
    namespace: { id: project.group_id, kind: "group", full_path: namespacePath },
    web_url: `${ctx.url.origin}/${projectFullPath(ctx.state, project)}`,
  };
}

function visibleGroup(ctx: RequestContext, user: FakeUser, raw: string): FakeGroup | undefined {
  const group = findGroup(ctx.state, decoded(raw));
  return group !== undefined && canSeeGroup(ctx.state, user, group.id) ? group : undefined;
}

function visibleProject(ctx: RequestContext, user: FakeUser, raw: string): FakeProject | undefined {
  const project = findProject(ctx.state, decoded(raw));
  return project !== undefined && canSeeProject(ctx.state, user, project.id) ? project : undefined;
}

/** `GET /groups/:id`. */
export function showGroup(ctx: RequestContext, raw: string): Response {
  const user = authenticate(ctx);
  if (user instanceof Response) return user;
  const group = visibleGroup(ctx, user, raw);
  if (group === undefined) return notFound("Group");
  return json(200, groupEntity(ctx, group));
}

/** `GET /projects/:id`. */
export function showProject(ctx: RequestContext, raw: string): Response {
  const user = authenticate(ctx);
  if (user instanceof Response) return user;
  const project = visibleProject(ctx, user, raw);
  if (project === undefined) return notFound("Project");
  return json(200, projectEntity(ctx, project));
}

function instanceRunners(runners: Iterable<FakeRunner>): FakeRunner[] {
  return [...runners].filter((r) => r.runner_type === "instance_type");
}

/** `GET /groups/:id/runners`: the group's and its ancestors' runners, and the instance's. */
export function listGroupRunners(ctx: RequestContext, raw: string): Response {
  const user = authenticate(ctx);
  if (user instanceof Response) return user;
  const group = visibleGroup(ctx, user, raw);
  if (group === undefined) return notFound("Group");
  if (!canListRunnersOf(ctx.state, user, { groupId: group.id })) return forbidden();
  const chain = new Set(groupChain(ctx.state, group.id).map((g) => g.id));
  const all = [...ctx.state.runners.values()];
  const pool = [
    ...all.filter((r) => r.runner_type === "group_type" && r.group_ids.some((id) => chain.has(id))),
    ...instanceRunners(all),
  ];
  return scopedListing(ctx, user, pool);
}

/** `GET /projects/:id/runners`: the project's runners, its groups' and the instance's. */
export function listProjectRunners(ctx: RequestContext, raw: string): Response {
  const user = authenticate(ctx);
  if (user instanceof Response) return user;
  const project = visibleProject(ctx, user, raw);
  if (project === undefined) return notFound("Project");
  if (!canListRunnersOf(ctx.state, user, { projectId: project.id })) return forbidden();
  const chain = new Set(groupChain(ctx.state, project.group_id).map((g) => g.id));
  const all = [...ctx.state.runners.values()];
  const pool = [
    ...all.filter((r) => r.runner_type === "project_type" && r.project_ids.includes(project.id)),
    ...all.filter((r) => r.runner_type === "group_type" && r.group_ids.some((id) => chain.has(id))),
    ...instanceRunners(all),
  ];
  return scopedListing(ctx, user, pool);
}

/** `GET /personal_access_tokens/self`: the calling token, whatever its scopes. */
export function showOwnToken(ctx: RequestContext): Response {
  const user = authenticate(ctx, ALL_SCOPES);
  if (user instanceof Response) return user;
  const value = ctx.req.headers.get("private-token") ?? "";
  const pat = ctx.state.pat(value);
  if (pat === undefined) return json(401, { message: "401 Unauthorized" });
  return json(200, {
    id: patId(ctx.state, value),
    name: pat.name,
    revoked: pat.revoked,
    created_at: "2025-01-01T00:00:00.000Z",
    description: null,
    scopes: [...pat.scopes],
    user_id: pat.user_id,
    last_used_at: ctx.now.toISOString(),
    active: true,
    // A date column: `Date#iso8601` (or `strftime("%Y-%m-%d")` in older versions).
    expires_at: pat.expires_at === null ? null : pat.expires_at.slice(0, 10),
  });
}
