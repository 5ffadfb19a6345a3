/**
 * gitlab-runner rotates its own tokens (at 75 % of their lifetime) and rewrites config.toml with
 * the new `token`, `token_obtained_at` and `token_expires_at`. If that happens while
 * register-runner runs, the file on disk holds a newer token than the one register-runner read at
 * the start; writing ours would put back a token GitLab has already revoked. This module decides
 * which of the two to write.
 *
 * @module
 */

import type { RunnerToken } from "../kernel/model.ts";

/**
 * For one runner (the caller matches `ours` and `onDisk` by runner id), returns the token to
 * write, with its times: the disk's when it holds a different token that is newer.
 *
 * - the disk has no token, or the same token → `ours`;
 * - we have no token but the disk does → the disk's;
 * - different tokens → the disk's only if its `obtainedAt` is strictly later than ours
 *   (an unknown or unparsable time counts as earliest; a tie keeps ours).
 *
 * Pure: returns one of its arguments, never a mix of the two.
 */
export function preferNewerToken(
  ours: RunnerToken | undefined,
  onDisk: RunnerToken | undefined,
): RunnerToken | undefined {
  if (onDisk === undefined || onDisk.token.equals(ours?.token)) return ours;
  if (ours === undefined) return onDisk;
  return instant(onDisk.obtainedAt) > instant(ours.obtainedAt) ? onDisk : ours;
}

function instant(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? -Infinity : ms;
}
