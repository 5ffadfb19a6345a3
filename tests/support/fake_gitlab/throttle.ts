/**
 * GitLab's request throttle (Rack::Attack), as `lib/gitlab/rack_attack.rb` configures it
 * (index ids 306575208 and 390094555, the same logic in both stored versions) on top of the
 * rack-attack gem's `Rack::Attack::Throttle` (v6.3, linked from that file):
 *
 * - fixed windows of `period` seconds aligned to the Unix epoch: the cache key carries
 *   `epoch_time / period`, so every window starts at a multiple of `period`;
 * - every request that reaches the throttle is counted, the rejected ones too, and a request is
 *   throttled when the count exceeds `limit` (`count > limit`);
 * - the throttled reply (`throttled_responder`) is 429, `Content-Type: text/plain`, body
 *   `Gitlab::Throttle.rate_limiting_response_text` — by default `"Retry later"` plus `"\n"`
 *   (`lib/gitlab/throttle.rb`) — with the headers of `throttled_response_headers`:
 *   `RateLimit-Name`, `RateLimit-Limit` (the limit scaled to a 60 s window, rounded up),
 *   `RateLimit-Observed` (the count), `RateLimit-Remaining` (`limit - observed`, at least 0),
 *   `RateLimit-Reset` (Unix seconds at the window's end), `RateLimit-ResetTime` (the same moment
 *   as an HTTP date) and `Retry-After` (`period - now % period`, in whole seconds).
 *
 * GUESS (simplification): one bucket for every request the fake receives. GitLab keeps one per
 * user for authenticated API requests (`throttle_authenticated_api`) and one per IP address for
 * the others (`throttle_unauthenticated_api`: `POST /runners/verify` carries only a runner
 * token); a fleet sharing one user token behind one address hits both, which one bucket with the
 * combined limit models as "N requests per second overall".
 *
 * @module
 */

/** A throttle's settings (`throttle_authenticated_api_requests_per_period` and `_period_in_seconds`). */
export interface ThrottleSettings {
  /** Requests allowed per window. */
  limit: number;
  /** The window, in whole seconds (GitLab's settings are whole seconds). */
  periodSeconds: number;
  /** The throttle's name in `RateLimit-Name`. Default `throttle_authenticated_api`. */
  name?: string;
}

/** A fixed-window counter answering like Rack::Attack. */
export class RackAttackThrottle {
  readonly #settings: Required<ThrottleSettings>;
  #window = -1;
  #count = 0;
  /** Requests it answered 429. */
  rejected = 0;

  /** Creates the throttle; `limit` and `periodSeconds` must be positive integers. */
  constructor(settings: ThrottleSettings) {
    if (!Number.isInteger(settings.limit) || settings.limit < 1) {
      throw new RangeError(`throttle limit must be a positive integer, got ${settings.limit}`);
    }
    if (!Number.isInteger(settings.periodSeconds) || settings.periodSeconds < 1) {
      throw new RangeError(`throttle period must be whole seconds, got ${settings.periodSeconds}`);
    }
    this.#settings = { name: "throttle_authenticated_api", ...settings };
  }

  /** Counts a request arriving at `now`; the 429 to send when it is over the limit. */
  check(now: Date): Response | undefined {
    const { limit, periodSeconds: period } = this.#settings;
    const epoch = Math.floor(now.getTime() / 1000);
    const window = Math.floor(epoch / period);
    if (window !== this.#window) {
      this.#window = window;
      this.#count = 0;
    }
    this.#count += 1;
    if (this.#count <= limit) return undefined;
    this.rejected += 1;
    return throttledResponse(this.#settings, this.#count, epoch);
  }
}

/** Rack::Attack's 429 for a request counted `observed`-th in its window at Unix second `epoch`. */
export function throttledResponse(
  settings: ThrottleSettings,
  observed: number,
  epoch: number,
): Response {
  const { limit, periodSeconds: period } = settings;
  const retryAfter = period - (epoch % period);
  const reset = epoch + retryAfter;
  return new Response("Retry later\n", {
    status: 429,
    headers: {
      "content-type": "text/plain",
      "ratelimit-name": settings.name ?? "throttle_authenticated_api",
      "ratelimit-limit": String(Math.ceil((limit * 60) / period)),
      "ratelimit-observed": String(observed),
      "ratelimit-remaining": String(limit > observed ? limit - observed : 0),
      "ratelimit-reset": String(reset),
      "ratelimit-resettime": new Date(reset * 1000).toUTCString(),
      "retry-after": String(retryAfter),
    },
  });
}
