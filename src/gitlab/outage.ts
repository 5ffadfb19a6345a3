/**
 * What one GitLab's failed attempts add up to over a run — how many, over how long, the last
 * reason — so that a GitLab that is down is reported in one line instead of one per retry (the
 * attempts themselves are logged at debug level by the requester). The one place that counts.
 *
 * @module
 */

import type { OutageSummary } from "../kernel/errors.ts";

/** Counts the failed attempts (network failures, 429 and 5xx) sent to one GitLab. */
export class OutageLog {
  readonly #now: () => number;
  #attempts = 0;
  #since: number | undefined;
  #reason = "";

  /** `now` is the monotonic clock in ms. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Records one attempt that started at `startedAt` (monotonic ms): `status` for a reply (2xx to 4xx other than 429 is not a
   * failure of the GitLab's reachability), or the network failure's reason.
   */
  record(attempt: { status: number } | { reason: string }, startedAt: number): void {
    if ("status" in attempt) {
      if (attempt.status < 500 && attempt.status !== 429) return;
      this.#reason = `HTTP ${attempt.status}`;
    } else {
      this.#reason = shortReason(attempt.reason);
    }
    this.#attempts++;
    this.#since ??= startedAt;
  }

  /** The failed attempts so far; undefined when none failed. */
  summary(): OutageSummary | undefined {
    if (this.#since === undefined) return undefined;
    return { attempts: this.#attempts, ms: this.#now() - this.#since, reason: this.#reason };
  }
}

/**
 * The gist of a network error for a summary line: its innermost cause (`… tcp connect error:
 * Connection refused (os error 111)` → `connection refused`).
 */
export function shortReason(reason: string): string {
  const inner = reason.split(": ").at(-1)!.replace(/\s*\(os error \d+\)$/, "").trim();
  if (inner === "") return reason;
  return inner[0]!.toLowerCase() + inner.slice(1);
}
