/**
 * Token lifetime: warns when a runner token is close to expiry. gitlab-runner rotates tokens
 * itself at 75 % of their lifetime, so a token past that point means rotation is not happening
 * (the runner is stopped, or `FF_DISABLE_AUTOMATIC_TOKEN_ROTATION` is set). register-runner
 * recovers an expired token in place at its next run, but jobs fail in between. Pure.
 *
 * @module
 */

import { knownTime, type RunnerToken } from "../kernel/model.ts";
/** gitlab-runner rotates at this fraction of a token's lifetime. */
const ROTATION_POINT = 0.75;
/** Without an obtained time (so no rotation point), warn when less than this is left. */
const MIN_LEFT_MS = 24 * 3600 * 1000;

/** One runner to be written to config.toml, with its token (if any). */
export interface TokenTimes {
  name: string;
  token?: Pick<RunnerToken, "obtainedAt" | "expiresAt"> | undefined;
}

/**
 * One warning per runner whose token has expired, or is past gitlab-runner's rotation point
 * (75 % of its lifetime) — or, when the obtained time is unknown, has less than a day left. A
 * freshly issued short-lived token (GitLab allows lifetimes down to 2 h) is not warned about.
 * `now` is GitLab's time (token times are on its clock), or a function giving it per runner
 * (runners of several GitLabs).
 */
export function expiryWarnings<T extends TokenTimes>(
  runners: T[],
  nowFor: Date | ((runner: T) => Date),
): string[] {
  const warnings: string[] = [];
  for (const r of runners) {
    const now = typeof nowFor === "function" ? nowFor(r) : nowFor;
    // Zero times never get here (readers turn them into undefined); a pure function still says no.
    const expiresAt = knownTime(r.token?.expiresAt);
    const obtainedAt = knownTime(r.token?.obtainedAt);
    if (!expiresAt) continue;
    const expires = Date.parse(expiresAt);
    if (Number.isNaN(expires)) continue;
    const left = expires - now.getTime();
    const obtained = obtainedAt ? Date.parse(obtainedAt) : NaN;
    const pastRotation = !Number.isNaN(obtained) && expires > obtained &&
      now.getTime() >= obtained + ROTATION_POINT * (expires - obtained);
    if (left <= 0) {
      warnings.push(
        `the token of ${r.name} expired at ${expiresAt}; register-runner resets it in place at its next run`,
      );
    } else if (Number.isNaN(obtained) || expires <= obtained ? left < MIN_LEFT_MS : pastRotation) {
      warnings.push(
        `the token of ${r.name} expires at ${expiresAt} (in ${
          formatDuration(left)
        }) and gitlab-runner has not rotated it; check that gitlab-runner is running and FF_DISABLE_AUTOMATIC_TOKEN_ROTATION is not set`,
      );
    }
  }
  return warnings;
}

function formatDuration(ms: number): string {
  const hours = ms / 3600_000;
  return hours >= 48
    ? `${Math.floor(hours / 24)} days`
    : hours >= 1
    ? `${Math.floor(hours)} h`
    : `${Math.ceil(ms / 60_000)} min`;
}
