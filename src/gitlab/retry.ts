/**
 * How long to wait before retrying a GitLab request: the server's `Retry-After` or
 * `RateLimit-Reset` when it sent one, else exponential backoff with full jitter.
 *
 * @module
 */

/** Tunables of the retry waits. */
export interface BackoffPolicy {
  /** First backoff ceiling; doubles on every attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  maxBackoffMs: number;
  /** Largest single wait, whatever the server asks for. */
  maxWaitMs: number;
}

/** The waits register-runner uses: 1 s, 2 s, 4 s… up to 30 s of backoff; never one wait over 60 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1000,
  maxBackoffMs: 30_000,
  maxWaitMs: 60_000,
};

/** A wait and where its length came from (for logs and tests). */
export interface RetryWait {
  ms: number;
  /** What the server asked for before the cap (`retry-after`, `ratelimit-reset`); else `ms`. */
  requestedMs: number;
  source: "retry-after" | "ratelimit-reset" | "backoff";
}

/**
 * Full-jitter backoff: a uniformly random wait in `[0, min(maxBackoff, base * 2^(attempt-1)))`.
 * `attempt` is the number of the attempt that just failed (1-based).
 */
export function backoffMs(attempt: number, random: () => number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
}

/**
 * `Retry-After` as a wait in ms: delta seconds or an HTTP date (relative to `nowMs`).
 * `undefined` when absent or unparsable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * `RateLimit-Reset` as a wait in ms. GitLab sends Unix epoch seconds; a value too small to be
 * an epoch (before 2001) is read as delta seconds, as the IETF draft header means it.
 */
export function parseRateLimitReset(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  if (n < 1_000_000_000) return n * 1000;
  return Math.max(0, n * 1000 - nowMs);
}

/**
 * The wait before the next attempt after `attempt` failed with `status` (undefined for a network
 * error). 429 honours `Retry-After`, then `RateLimit-Reset`; 503 honours `Retry-After`; otherwise
 * backoff. Always capped at `policy.maxWaitMs`.
 */
export function retryWait(
  status: number | undefined,
  headers: Headers | undefined,
  attempt: number,
  nowMs: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): RetryWait {
  const cap = (ms: number) => Math.min(ms, policy.maxWaitMs);
  if (headers && (status === 429 || status === 503)) {
    const after = parseRetryAfter(headers.get("retry-after"), nowMs);
    if (after !== undefined) return { ms: cap(after), requestedMs: after, source: "retry-after" };
  }
  if (headers && status === 429) {
    const reset = parseRateLimitReset(headers.get("ratelimit-reset"), nowMs);
    if (reset !== undefined) {
      return { ms: cap(reset), requestedMs: reset, source: "ratelimit-reset" };
    }
  }
  const ms = cap(backoffMs(attempt, random, policy));
  return { ms, requestedMs: ms, source: "backoff" };
}
