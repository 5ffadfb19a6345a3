/**
 * Response builders with GitLab's exact error bodies (GitLab `lib/api/helpers.rb` and the rescue handlers in `lib/api/api.rb`).
 *
 * @module
 */

import { errorSentence, type ModelErrors } from "./rules.ts";

/** A JSON response (`application/json`). */
export function json(status: number, body: unknown, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** A response without a body (e.g. 204). */
export function noContent(status = 204): Response {
  return new Response(null, { status });
}

/** `401 {"message":"401 Unauthorized"}`. */
export function unauthorized(): Response {
  return json(401, { message: "401 Unauthorized" });
}

/** The OAuth-style 401 for an expired or revoked PAT. */
export function invalidToken(kind: "expired" | "revoked"): Response {
  const error_description = kind === "expired"
    ? "Token is expired. You can either do re-authorization or token refresh."
    : "Token was revoked. You have to re-authorize from the user.";
  return json(401, { error: "invalid_token", error_description });
}

/** `403 insufficient_scope`, listing the scopes the route accepts. */
export function insufficientScope(scopes: readonly string[]): Response {
  return json(403, {
    error: "insufficient_scope",
    error_description: "The request requires higher privileges than provided by the access token.",
    scope: scopes.join(" "),
  });
}

/** `403 {"message":"403 Forbidden"}`, or `403 Forbidden - <reason>` (`forbidden!(reason)`). */
export function forbidden(reason?: string): Response {
  const message = reason === undefined ? "403 Forbidden" : `403 Forbidden - ${reason}`;
  return json(403, { message });
}

/** `not_found!(resource)`: `404 {"message":"404 <Resource> Not Found"}`. */
export function notFound(resource: string): Response {
  return json(404, { message: `404 ${resource} Not Found` });
}

/**
 * A record `find` did not find: `ActiveRecord::RecordNotFound` rescued in `lib/api/api.rb` as
 * `404 {"message":"404 Not found"}` (what `GET/PUT/DELETE /runners/:id` answer for an unknown id
 * in every version: `get_runner` uses `Ci::Runner.find`).
 */
export function recordNotFound(): Response {
  return json(404, { message: "404 Not found" });
}

/**
 * Rack::Attack's throttled reply (`lib/gitlab/rack_attack.rb` `throttled_response_headers`,
 * `lib/gitlab/throttle.rb`): 429, `text/plain` body `Retry later\n`, and the RateLimit headers
 * for a fixed window of `periodSeconds` aligned to the epoch (`Retry-After` = seconds left).
 */
export function throttled(
  now: Date,
  periodSeconds: number,
  limit = 600,
  name = "throttle_authenticated_api",
): Response {
  const epoch = Math.floor(now.getTime() / 1000);
  const reset = epoch - (epoch % periodSeconds) + periodSeconds;
  return new Response("Retry later\n", {
    status: 429,
    headers: {
      "content-type": "text/plain",
      "ratelimit-name": name,
      "ratelimit-limit": String(Math.ceil((limit * 60) / periodSeconds)),
      "ratelimit-observed": String(limit + 1),
      "ratelimit-remaining": "0",
      "ratelimit-reset": String(reset),
      "ratelimit-resettime": new Date(reset * 1000).toUTCString(),
      "retry-after": String(reset - epoch),
    },
  });
}

/** The catch-all for unknown routes: `404 {"error":"404 Not Found"}`. */
export function routeNotFound(): Response {
  return json(404, { error: "404 Not Found" });
}

/** A Grape parameter error: `400 {"error": message}`. */
export function grapeError(message: string): Response {
  return json(400, { error: message });
}

/** `bad_request!(reason)`: `400 {"message":"400 Bad request - <reason>"}`. */
export function badRequest(reason: string): Response {
  return json(400, { message: `400 Bad request - ${reason}` });
}

/** `render_validation_error!`: `400 {"message":{"attr":["msg"]}}`. */
export function validationError(errors: ModelErrors): Response {
  return json(400, { message: errors });
}

/** A model error surfaced through `bad_request!` (as `POST /user/runners` does). */
export function validationSentence(errors: ModelErrors): Response {
  return badRequest(errorSentence(errors));
}

/** The reason phrase for common statuses, for default fault bodies. */
export function reasonPhrase(status: number): string {
  const phrases: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return phrases[status] ?? "Error";
}
