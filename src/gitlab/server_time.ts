/**
 * GitLab's time, from the `Date` header of its replies (RFC 9110 §6.6.1: an origin server with a
 * clock sends it on every reply; GitLab's Puma, Workhorse and nginx all do). Token times are
 * GitLab's (`token_expires_at` is computed on its clock), so register-runner dates the tokens it
 * obtains and judges their expiry on GitLab's clock where it knows it: a host clock far in the
 * future (a dead RTC battery, a wrong NTP server) neither calls fresh tokens expired nor writes
 * a `token_obtained_at` in the future. Plain data and pure functions; the requester measures.
 *
 * @module
 */

/**
 * How far GitLab's clock is ahead of this host's, in milliseconds (negative: behind), measured
 * from the last reply that carried a usable `Date` header. Second resolution: the header does.
 */
export type ClockOffset = number;

/** Beyond this difference between the host's clock and GitLab's, sync warns (once per GitLab). */
export const SKEW_WARN_MS = 5 * 60_000;

/** Dates a `Date` header cannot plausibly carry (before 2000 or after 2200): ignored. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

/** The instant a reply's `Date` header names, or undefined when absent or implausible. */
export function serverDateOf(headers: Headers): Date | undefined {
  const value = headers.get("date");
  if (value === null) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < EARLIEST || ms > LATEST) return undefined;
  return new Date(ms);
}

/** GitLab's time now: the host's `local` time corrected by `offset` (the host's when unknown). */
export function serverNow(local: Date, offset: ClockOffset | undefined): Date {
  return offset === undefined ? local : new Date(local.getTime() + offset);
}

/** An instant as ISO-8601 UTC to the second (`2025-12-07T05:27:35Z`), as config.toml holds it. */
export function isoSecondsOf(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The warning for a host clock more than {@link SKEW_WARN_MS} from GitLab's, naming both times;
 * undefined when they agree (or GitLab's is unknown).
 */
export function skewWarning(
  baseUrl: string,
  local: Date,
  offset: ClockOffset | undefined,
): string | undefined {
  if (offset === undefined || Math.abs(offset) <= SKEW_WARN_MS) return undefined;
  return `this host's clock reads ${isoSecondsOf(local)} but GitLab ${baseUrl} says ${
    isoSecondsOf(serverNow(local, offset))
  } (its Date header): token times are taken from GitLab's clock; set this host's clock ` +
    "right (check NTP: timedatectl status)";
}

/**
 * `time` (ISO-8601), or GitLab's `now` when `time` is later than that by more than `toleranceMs`:
 * a token time in the future, written while the host's clock was ahead, is brought back.
 * Unknown or unparsable times are returned as they are.
 */
export function notAfter(
  time: string | undefined,
  now: Date,
  toleranceMs = 0,
): string | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  if (Number.isNaN(ms) || ms <= now.getTime() + toleranceMs) return time;
  return isoSecondsOf(now);
}
