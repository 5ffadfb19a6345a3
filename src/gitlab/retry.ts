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

/** What a {@link ThrottleGate} has seen so far. */
export interface ThrottleStats {
  /** 429 and 503 replies. */
  replies: number;
  /** Time during which requests were held back for them (overlapping waits counted once), ms. */
  waitedMs: number;
}

/** How a {@link ThrottleGate} reads time and chance. */
export interface ThrottleGateOptions {
  /** The clock deadlines are kept on, in ms. */
  now: () => number;
  /** The wall clock, in epoch ms (an HTTP date or a Unix time in a header is wall-clock time). */
  wallNow: () => number;
  /** Resolves after `ms`. */
  sleep: (ms: number) => Promise<void>;
  /** A random number in [0, 1). */
  random: () => number;
  policy?: ThrottlePolicy;
}

/** Tunables of the waits after 429 and 503. */
export interface ThrottlePolicy {
  /** The jitter's first ceiling; doubles with each 429 or 503 in a row. */
  baseMs: number;
  /** The jitter's largest ceiling. */
  maxJitterMs: number;
  /** Largest single wait, whatever the server asks for (only matters without a deadline). */
  maxWaitMs: number;
}

/** 1 s, 2 s, 4 s, then 8 s of jitter on top of what GitLab asks for. */
export const DEFAULT_THROTTLE: ThrottlePolicy = {
  baseMs: 1000,
  maxJitterMs: 8000,
  maxWaitMs: 60_000,
};

/** What GitLab asked to wait: `Retry-After` (429, 503), else `RateLimit-Reset` (429); uncapped. */
export function askedWait(
  status: number,
  headers: Headers,
  nowMs: number,
): { ms: number; source: "retry-after" | "ratelimit-reset" } | undefined {
  const after = parseRetryAfter(headers.get("retry-after"), nowMs);
  if (after !== undefined) return { ms: after, source: "retry-after" };
  if (status !== 429) return undefined;
  const reset = parseRateLimitReset(headers.get("ratelimit-reset"), nowMs);
  return reset === undefined ? undefined : { ms: reset, source: "ratelimit-reset" };
}

/**
 * How long GitLab needs to serve the requests its throttle counted in the current window
 * (`RateLimit-Observed`) at the rate it advertises (`RateLimit-Limit`, per 60 s as
 * `lib/gitlab/rack_attack.rb` scales it), in ms; 0 when either header is missing.
 */
export function crowdMs(headers: Headers): number {
  const observed = Number(headers.get("ratelimit-observed") ?? "");
  const limit = Number(headers.get("ratelimit-limit") ?? "");
  if (!(observed > 0) || !(limit > 0)) return 0;
  return Math.round((observed / limit) * 60_000);
}

/** A wait a {@link ThrottleGate} set after a 429 or 503. */
export interface ThrottleWait {
  /** The whole wait from now, ms. */
  ms: number;
  /** What GitLab asked for (`Retry-After`, else `RateLimit-Reset`), or 0 when it asked nothing. */
  requestedMs: number;
  /** The random share added on top (full jitter). */
  jitterMs: number;
  /** 429s and 503s in a row, this one included. */
  streak: number;
  source: RetryWait["source"];
}

/**
 * One GitLab's throttle, shared by every request to it: a throttle counts a user's (or an
 * address's) requests, not one request's attempts, so after a 429 no request to that GitLab
 * starts before the wait ends.
 *
 * The wait is what GitLab asked for (`Retry-After`, else `RateLimit-Reset`) plus full jitter: a
 * uniformly random share of a ceiling that doubles with every 429 or 503 in a row (`baseMs`,
 * 2×, 4×… up to `maxJitterMs`), so that hosts throttled together do not come back together. A
 * success shortens the streak by half a step rather than ending it: a fleet that just got through
 * once is still crowded.
 */
export class ThrottleGate {
  readonly #o: Required<ThrottleGateOptions>;
  #notBefore = -Infinity;
  #streak = 0;
  #replies = 0;
  #waitedMs = 0;

  /** Creates an open gate. */
  constructor(options: ThrottleGateOptions) {
    this.#o = { policy: DEFAULT_THROTTLE, ...options };
  }

  /** When the next request may start, on `now`'s clock (`-Infinity`: at once). */
  get notBefore(): number {
    return this.#notBefore;
  }

  /** 429s and 503s in a row, less half a step per success since. */
  get streak(): number {
    return this.#streak;
  }

  /** The replies and the time held back so far. */
  stats(): ThrottleStats {
    return { replies: this.#replies, waitedMs: this.#waitedMs };
  }

  /**
   * The wait after a 429 or 503 with `headers`, without setting it: `requestedMs` is what GitLab
   * asked for (uncapped), so a caller can give up when that alone is past its deadline.
   *
   * The jitter's ceiling is `baseMs` doubled per 429 or 503 in a row, or — when GitLab's
   * `RateLimit-Observed` and `RateLimit-Limit` say the window was more crowded than that — the
   * time GitLab needs to serve the requests already counted in it at its advertised rate; at most
   * `maxJitterMs`.
   */
  plan(status: number, headers: Headers | undefined): ThrottleWait {
    const { policy, random } = this.#o;
    const streak = this.#streak + 1;
    const asked = headers ? askedWait(status, headers, this.#o.wallNow()) : undefined;
    const requestedMs = asked?.ms ?? 0;
    const crowd = headers ? crowdMs(headers) : 0;
    const ceiling = Math.min(
      policy.maxJitterMs,
      Math.max(policy.baseMs * 2 ** Math.min(streak - 1, 30), crowd),
    );
    const jitterMs = Math.floor(Math.min(Math.max(random(), 0), 1) * ceiling);
    return {
      ms: Math.min(requestedMs + jitterMs, policy.maxWaitMs),
      requestedMs,
      jitterMs,
      streak,
      source: asked?.source ?? "backoff",
    };
  }

  /** Holds every request back for `wait` (from {@link plan}, possibly shortened) from now. */
  hold(wait: ThrottleWait): void {
    this.#streak = wait.streak;
    this.#replies += 1;
    const now = this.#o.now();
    const until = now + Math.max(0, wait.ms);
    if (until > this.#notBefore) {
      this.#waitedMs += until - Math.max(now, this.#notBefore);
      this.#notBefore = until;
    }
  }

  /** A request got through: the streak shortens by half a step (two successes undo one 429). */
  passed(): void {
    this.#streak = Math.max(0, this.#streak - 0.5);
  }

  /**
   * Resolves once the gate is open (at once when it is; it may be pushed back meanwhile), or at
   * `until` at the latest.
   */
  async open(until = Infinity): Promise<void> {
    for (;;) {
      const left = Math.min(this.#notBefore, until) - this.#o.now();
      if (!(left > 0)) return;
      await this.#o.sleep(left);
    }
  }
}
