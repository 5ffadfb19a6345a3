/**
 * What the client reads about a runner scope and about its own token: the replies of
 * `GET /groups/:id`, `GET /projects/:id` and `GET /personal_access_tokens/self`, and the API paths
 * of a group's or project's runner listing.
 *
 * Facts (gitlabhq/gitlabhq): both resources take a numeric id or the URL-encoded full path
 * (`API::NAMESPACE_OR_PROJECT_REQUIREMENTS`); a group's reply has `id` and `full_path`
 * (`lib/api/entities/group.rb`), a project's `id` and `path_with_namespace`
 * (`lib/api/entities/project_identity.rb`). `GET /personal_access_tokens/self` exists since GitLab
 * 15.5 (`lib/api/personal_access_tokens/self_information.rb`, issue #373999), answers any token
 * whatever its scopes, group and project access tokens included (they are personal access tokens
 * of a bot user), and gives `scopes` and `expires_at` as "YYYY-MM-DD" or null
 * (`lib/api/entities/personal_access_token.rb`).
 *
 * @module
 */

import type { ConfiguredScope, RunnerScope } from "../kernel/model.ts";

/** The token's own record, as far as register-runner uses it. */
export interface TokenInfo {
  /** E.g. `["create_runner", "manage_runner", "read_api"]`. */
  scopes: string[];
  /** "YYYY-MM-DD" exactly as GitLab gave it; `undefined` when it never expires. */
  expiresAt: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `/groups/team%2Fsub` or `/projects/42`: the resource path of a configured scope. */
export function scopeResource(scope: ConfiguredScope): string {
  const ref = typeof scope.ref === "number" ? String(scope.ref) : encodeURIComponent(scope.ref);
  return `/${scope.kind === "group" ? "groups" : "projects"}/${ref}`;
}

/** The runner type of a scope's own runners. */
export function runnerTypeOf(scope: { kind: RunnerScope["kind"] }): string {
  return `${scope.kind}_type`;
}

/** How a scope is named in messages: `group hpc/cluster (#12)`, `instance runners`. */
export function scopeName(scope: RunnerScope | ConfiguredScope): string {
  if (scope.kind === "instance") return "instance runners";
  if ("id" in scope) return `${scope.kind} ${scope.path} (#${scope.id})`;
  return typeof scope.ref === "number"
    ? `${scope.kind} #${scope.ref}`
    : `${scope.kind} ${scope.ref}`;
}

/** The resolved scope from a `GET /groups/:id` or `/projects/:id` reply; undefined when unusable. */
export function resolvedScope(kind: "group" | "project", json: unknown): RunnerScope | undefined {
  if (!isRecord(json)) return undefined;
  const id = json.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return undefined;
  const path = kind === "group" ? json.full_path : json.path_with_namespace;
  return { kind, id, path: typeof path === "string" ? path : String(id) };
}

/** `GET /personal_access_tokens/self`'s reply; undefined when it has no `scopes` array. */
export function tokenInfo(json: unknown): TokenInfo | undefined {
  if (!isRecord(json) || !Array.isArray(json.scopes)) return undefined;
  const scopes = json.scopes.filter((s): s is string => typeof s === "string");
  const expires = typeof json.expires_at === "string" && json.expires_at !== ""
    ? json.expires_at
    : undefined;
  return { scopes, expiresAt: expires };
}

/** The ids in a runner details' `groups` or `projects` array (entries without an id dropped). */
export function idsOf(list: unknown): number[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((entry) =>
    isRecord(entry) && typeof entry.id === "number" && Number.isSafeInteger(entry.id)
      ? [entry.id]
      : []
  );
}
