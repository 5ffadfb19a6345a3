/**
 * The per-request context handed to route handlers, and personal-access-token authentication
 * (`PRIVATE-TOKEN`, `Authorization: Bearer`, `private_token`) with GitLab's scope rules.
 *
 * @module
 */

import type { BehaviourOptions } from "./options.ts";
import type { Params } from "./params.ts";
import { insufficientScope, invalidToken, unauthorized } from "./responses.ts";
import { type FakeState, type FakeUser, isUnexpired } from "./state.ts";

/** Everything a handler needs. */
export interface RequestContext {
  /** The request (its body has been read already). */
  req: Request;
  /** The request URL. */
  url: URL;
  /** Upper-case HTTP method. */
  method: string;
  /** Path below `/api/v4`, e.g. `/runners/all`. */
  path: string;
  /** Query and body merged (body wins), as Grape sees them. */
  params: Params;
  /** The model. */
  state: FakeState;
  /** The current behaviour switches. */
  options: BehaviourOptions;
  /** The server clock's time for this request. */
  now: Date;
  /** The PAT owner, once {@link authenticate} succeeded. */
  user?: FakeUser;
}

function patFrom(ctx: RequestContext): string | undefined {
  const header = ctx.req.headers.get("private-token");
  if (header !== null) return header;
  const query = ctx.url.searchParams.get("private_token");
  if (query !== null) return query;
  const bearer = /^Bearer\s+(.+)$/i.exec(ctx.req.headers.get("authorization") ?? "");
  return bearer?.[1];
}

/**
 * Authenticates the caller by PAT. Every route accepts scope `api`, GET also `read_api`, and
 * `extraScopes` name route-specific ones (`create_runner`, `manage_runner`).
 * Returns the user, or the 401/403 response to send.
 */
export function authenticate(
  ctx: RequestContext,
  extraScopes: readonly string[] = [],
): FakeUser | Response {
  const value = patFrom(ctx);
  const pat = value === undefined ? undefined : ctx.state.pat(value);
  if (pat === undefined) return unauthorized();
  if (!isUnexpired(pat.expires_at, ctx.now)) return invalidToken("expired");
  if (pat.revoked) return invalidToken("revoked");
  const accepted = [...extraScopes, "api"];
  if (ctx.method === "GET" || ctx.method === "HEAD") accepted.push("read_api");
  if (!pat.scopes.some((scope) => accepted.includes(scope))) {
    return insufficientScope([...extraScopes, "api", "read_api"]);
  }
  const stored = ctx.state.users.get(pat.user_id);
  if (stored === undefined) return unauthorized();
  // Admin Mode (lib/api/api_guard.rb): an admin acts as one only with the admin_mode scope.
  const user = ctx.options.adminMode && stored.admin && !pat.scopes.includes("admin_mode")
    ? { ...stored, admin: false }
    : stored;
  ctx.user = user;
  return user;
}
