/**
 * The route table of the fake `/api/v4` and the dispatcher (GitLab's catch-all 404 included).
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import type { BehaviourOptions } from "./options.ts";
import { GrapeError } from "./params.ts";
import { grapeError, json, routeNotFound } from "./responses.ts";
import {
  registerRunner,
  resetOwnToken,
  unregisterManager,
  unregisterRunner,
  verifyRunner,
} from "./routes_runner.ts";
import {
  deleteRunner,
  listAllRunners,
  listOwnedRunners,
  resetRunnerToken,
  showRunner,
  updateRunner,
} from "./routes_runners.ts";
import { createUserRunner, getVersion } from "./routes_user.ts";
import {
  listGroupRunners,
  listProjectRunners,
  showGroup,
  showOwnToken,
  showProject,
} from "./routes_groups.ts";

type Handler = (ctx: RequestContext, id: string) => Response;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** Whether the route exists with these options (default: always). */
  exists?: (options: BehaviourOptions) => boolean;
}

/** Specific paths come before `/runners/:id`, as in Grape's declaration order. */
const ROUTES: readonly Route[] = [
  { method: "POST", pattern: /^\/runners$/, handler: registerRunner },
  { method: "DELETE", pattern: /^\/runners$/, handler: unregisterRunner },
  { method: "POST", pattern: /^\/runners\/verify$/, handler: verifyRunner },
  { method: "DELETE", pattern: /^\/runners\/managers$/, handler: unregisterManager },
  {
    method: "POST",
    pattern: /^\/runners\/reset_authentication_token$/,
    handler: resetOwnToken,
    exists: (options) => options.resetOwnTokenApi,
  },
  {
    method: "POST",
    pattern: /^\/user\/runners$/,
    handler: createUserRunner,
    exists: (options) => options.userRunnersApi,
  },
  { method: "GET", pattern: /^\/runners\/all$/, handler: listAllRunners },
  { method: "GET", pattern: /^\/runners$/, handler: listOwnedRunners },
  { method: "GET", pattern: /^\/runners\/([^/]+)$/, handler: showRunner },
  { method: "PUT", pattern: /^\/runners\/([^/]+)$/, handler: updateRunner },
  { method: "DELETE", pattern: /^\/runners\/([^/]+)$/, handler: deleteRunner },
  {
    method: "POST",
    pattern: /^\/runners\/([^/]+)\/reset_authentication_token$/,
    handler: resetRunnerToken,
    exists: (options) => options.resetByIdApi,
  },
  { method: "GET", pattern: /^\/version$/, handler: getVersion },
  {
    method: "GET",
    pattern: /^\/metadata$/,
    handler: getVersion,
    exists: (options) => options.metadataApi,
  },
  { method: "GET", pattern: /^\/groups\/([^/]+)$/, handler: showGroup },
  { method: "GET", pattern: /^\/groups\/([^/]+)\/runners$/, handler: listGroupRunners },
  { method: "GET", pattern: /^\/projects\/([^/]+)$/, handler: showProject },
  { method: "GET", pattern: /^\/projects\/([^/]+)\/runners$/, handler: listProjectRunners },
  {
    method: "GET",
    pattern: /^\/personal_access_tokens\/self$/,
    handler: showOwnToken,
    exists: (options) => options.tokenSelfApi,
  },
];

/** Runs the matching route; Grape parameter errors become `400 {"error": …}`. */
export function dispatch(ctx: RequestContext): Response {
  for (const route of ROUTES) {
    if (route.method !== ctx.method) continue;
    const match = route.pattern.exec(ctx.path);
    if (match === null) continue;
    if (route.exists !== undefined && !route.exists(ctx.options)) break;
    try {
      return route.handler(ctx, match[1] ?? "");
    } catch (error) {
      if (error instanceof GrapeError) return grapeError(error.message);
      throw error;
    }
  }
  return routeNotFound();
}

/** Requests outside `/api/v4`: `/api/v3` is gone, anything else is not found. */
export function dispatchOutsideApi(path: string): Response {
  if (path === "/api/v3" || path.startsWith("/api/v3/")) {
    return json(410, { error: "API V3 is no longer supported. Use API V4 instead." });
  }
  return routeNotFound();
}
