/**
 * What a prefix asks of its access token, decided before anything changes: the scopes each
 * operation it may ever perform needs (for its runner scope: instance, group or project), the
 * ones the token lacks, the warning for a token close to expiry, and whether a runner's details
 * show it belongs to the configured group or project.
 *
 * Scope facts (gitlabhq/gitlabhq): every endpoint accepts `api`, and GET also `read_api`
 * (`lib/api/api.rb`); `/runners/:id*` (GET, PUT, DELETE, reset) also accept `manage_runner`
 * (`lib/api/ci/runners.rb`, GitLab 17.1, MR !153285), which does not cover the group and project
 * listings; `POST /user/runners` also accepts `create_runner` (`lib/api/user_runners.rb`). With
 * Admin Mode on, an administrator's API token acts as an administrator only with the
 * `admin_mode` scope (`lib/api/api_guard.rb`, GitLab 15.8).
 *
 * @module
 */

import { ExitCode, GitLabApiError, RegisterRunnerError } from "../kernel/errors.ts";
import type { RunnerScope } from "../kernel/model.ts";
import type { RunnerDetails, TokenInfo } from "../gitlab/client.ts";

/** One operation and the scopes any one of which allows it. */
export interface ScopeNeed {
  /** E.g. "list the group's runners (GET /groups/:id/runners)". */
  operation: string;
  /** The scopes that allow it, the least privileged first; `api` always last. */
  anyOf: readonly string[];
}

/** Every operation a prefix of this runner scope may perform with its access token. */
export function scopeNeeds(kind: RunnerScope["kind"]): ScopeNeed[] {
  const list = kind === "instance"
    ? "list the instance's runners (GET /runners/all)"
    : `list the ${kind}'s runners (GET /${kind}s/:id/runners)`;
  return [
    ...(kind === "instance"
      ? []
      : [{ operation: `look the ${kind} up (GET /${kind}s/:id)`, anyOf: ["read_api", "api"] }]),
    { operation: list, anyOf: ["read_api", "api"] },
    {
      operation: "read a runner's details (GET /runners/:id)",
      anyOf: ["read_api", "manage_runner", "api"],
    },
    { operation: "create runners (POST /user/runners)", anyOf: ["create_runner", "api"] },
    { operation: "update runners (PUT /runners/:id)", anyOf: ["manage_runner", "api"] },
    {
      operation: "reset runner tokens (POST /runners/:id/reset_authentication_token)",
      anyOf: ["manage_runner", "api"],
    },
    { operation: "delete runners (DELETE /runners/:id)", anyOf: ["manage_runner", "api"] },
  ];
}

/** The needs none of whose scopes the token has. */
export function unmetNeeds(scopes: readonly string[], needs: readonly ScopeNeed[]): ScopeNeed[] {
  return needs.filter((need) => !need.anyOf.some((s) => scopes.includes(s)));
}

/** The access token lacks scopes the prefix needs (exit 4; nothing was changed). */
export class MissingScopesError extends RegisterRunnerError {
  /** The operations the token cannot perform, with the scopes that would allow each. */
  readonly unmet: readonly ScopeNeed[];

  /** Creates the error for the GitLab at `url`. */
  constructor(url: string, unmet: readonly ScopeNeed[], hint: string) {
    const groups = new Map<string, ScopeNeed[]>();
    for (const n of unmet) {
      const key = n.anyOf.join(" ");
      groups.set(key, [...(groups.get(key) ?? []), n]);
    }
    const lines = [...groups.values()].map((needs) => {
      const anyOf = needs[0]!.anyOf;
      const named = anyOf.filter((s) => s !== "api").map((s) => `\`${s}\``).join(" or ");
      const scopes = anyOf.includes("api") ? (named ? `${named} (or \`api\`)` : "`api`") : named;
      return `${scopes} to ${needs.map((n) => n.operation).join(", ")}`;
    });
    super(
      `the access token for ${url} lacks scopes this prefix needs; nothing was changed: ` +
        lines.join("; "),
      ExitCode.GitLab,
      { hint },
    );
    this.unmet = unmet;
  }
}

const HINT = "give the token the scopes create_runner, manage_runner and read_api (or api; " +
  "GitLab before 17.1 has no manage_runner and needs api), then replace the token file; " +
  'see the README, "Least privilege"';

/**
 * Throws {@link MissingScopesError} when the token lacks a scope any operation of this prefix
 * needs, even one this run would not perform.
 */
export function checkTokenScopes(url: string, kind: RunnerScope["kind"], info: TokenInfo): void {
  const unmet = unmetNeeds(info.scopes, scopeNeeds(kind));
  if (unmet.length > 0) throw new MissingScopesError(url, unmet, HINT);
}

/**
 * The instance listing's 403 explained when the token has no `admin_mode` scope: with Admin Mode
 * on, an administrator's token without it is an ordinary user's, and `GET /runners/all` refuses
 * it exactly as it refuses a non-administrator (a 403 cannot tell the two apart). Other errors,
 * and tokens with `admin_mode`, are returned unchanged.
 */
export function adminModeError(url: string, error: unknown, info: TokenInfo | undefined): unknown {
  if (info === undefined || info.scopes.includes("admin_mode")) return error;
  if (!(error instanceof GitLabApiError) || error.status !== 403) return error;
  if (error.request.path !== "/runners/all") return error;
  return new MissingScopesError(
    url,
    [{
      operation: "list the instance's runners (GET /runners/all) if Admin Mode is on",
      anyOf: ["admin_mode"],
    }],
    "instance runners need an administrator's token (an auditor's can list but not create, " +
      "reset or delete runners, which sync also does); when the instance has Admin Mode on " +
      "(Admin > Settings > General > Sign-in restrictions), that token also needs the " +
      "admin_mode scope. If the token's user is no administrator, use group or project runners " +
      '(README, "Least privilege")',
  );
}

/** Days before its expiry from which a token is warned about. */
export const EXPIRY_WARNING_DAYS = 14;

/**
 * The warning for a token that expires within {@link EXPIRY_WARNING_DAYS} days, naming the date
 * as GitLab gave it; `undefined` otherwise. GitLab accepts a token through its expiry date (it is
 * expired once `expires_at < today`).
 */
export function tokenExpiryWarning(url: string, info: TokenInfo, now: Date): string | undefined {
  if (info.expiresAt === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(info.expiresAt);
  if (!match) return undefined;
  const expires = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const days = Math.round((expires - today) / 86_400_000);
  if (days > EXPIRY_WARNING_DAYS) return undefined;
  const date = `${match[1]}-${match[2]}-${match[3]}`;
  const when = days === 0 ? "today" : days === 1 ? "in 1 day" : `in ${days} days`;
  return `the access token for ${url} expires on ${date} (${when}): create a new one ` +
    "and replace the token file before then, or register-runner stops working for this GitLab";
}

/**
 * Whether a runner's details show it is one of the scope's own runners, the one check every
 * listed or configured runner passes before it is kept, updated, reset or deleted. Instance
 * scope: an `instance_type` runner (`runner_type` absent counts as instance: GitLab 13.x). Group
 * or project: of that type, with that group or project among its `groups` / `projects` (the group
 * and project listings also return instance runners and ancestor groups' runners).
 */
export function belongsToScope(d: RunnerDetails, scope: RunnerScope): boolean {
  if (scope.kind === "instance") {
    return d.runner_type === undefined || d.runner_type === "instance_type";
  }
  if (d.runner_type !== `${scope.kind}_type`) return false;
  const ids = scope.kind === "group" ? d.groupIds : d.projectIds;
  return ids !== undefined && ids.includes(scope.id);
}
