/**
 * gitlab-runner rotates its own tokens (at 75 % of their lifetime) and rewrites config.toml with
 * the new `token`, `token_obtained_at` and `token_expires_at`. If that happens while
 * register-runner runs, the file on disk holds a newer token than the one register-runner read at
 * the start; writing ours would put back a token GitLab has already revoked. This module decides
 * which of the two to write.
 *
 * @module
 */

import type { Secret } from "../kernel/secret.ts";

/** The three per-runner fields gitlab-runner rewrites when it rotates a token. */
export interface TokenFields {
  /** The runner authentication token. */
  token?: Secret;
  /** ISO-8601 time the token was obtained (`0001-01-01T00:00:00Z` or absent: unknown). */
  tokenObtainedAt?: string;
  /** ISO-8601 expiry (`0001-01-01T00:00:00Z` or absent: none or unknown). */
  tokenExpiresAt?: string;
}

/**
 * For one runner (the caller matches `ours` and `onDisk` by runner id), returns `ours` with the
 * disk's three token fields when the disk holds a different token that is newer:
 *
 * - the disk has no token, or the same token → `ours` unchanged;
 * - we have no token but the disk does → the disk's;
 * - different tokens → the disk's only if its `tokenObtainedAt` is strictly later than ours
 *   (an unknown or unparsable time counts as earliest; a tie keeps ours).
 *
 * Pure: never mutates its arguments; other properties of `ours` are kept.
 */
export function preferNewerToken<T extends TokenFields>(ours: T, onDisk: TokenFields): T {
  if (onDisk.token === undefined || onDisk.token.equals(ours.token)) return ours;
  const diskIsNewer = ours.token === undefined ||
    instant(onDisk.tokenObtainedAt) > instant(ours.tokenObtainedAt);
  if (!diskIsNewer) return ours;
  const merged: T = { ...ours };
  delete merged.token;
  delete merged.tokenObtainedAt;
  delete merged.tokenExpiresAt;
  merged.token = onDisk.token;
  if (onDisk.tokenObtainedAt !== undefined) merged.tokenObtainedAt = onDisk.tokenObtainedAt;
  if (onDisk.tokenExpiresAt !== undefined) merged.tokenExpiresAt = onDisk.tokenExpiresAt;
  return merged;
}

function instant(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? -Infinity : ms;
}
