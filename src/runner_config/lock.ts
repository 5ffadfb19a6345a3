/**
 * One register-runner run per prefix and instance at a time: an exclusive advisory `flock` on
 * `{prefix}/.register-runner.{instance}.lock`. The kernel drops it when the holder exits or is
 * killed, so a crashed run never leaves a stale lock; the file itself stays (deleting it would let
 * two runs lock two different inodes).
 *
 * @module
 */

import { join } from "node:path";
import { type Clock, systemClock } from "../kernel/env.ts";
import { LockedError } from "../kernel/errors.ts";

/** How long {@link acquireLock} waits by default before giving up (the default of `--lock-timeout`). */
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/** How often a waiting {@link acquireLock} retries. */
const POLL_MS = 100;

/** A held lock. Release it (or `await using` it) when done; releasing twice is harmless. */
export interface Lock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock and closes the file. */
  release(): Promise<void>;
  /** Same as {@link Lock.release}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@link acquireLock}. */
export interface AcquireLockOptions {
  /** Give up after this long; default {@link DEFAULT_LOCK_TIMEOUT_MS}. `0` tries once. */
  timeoutMs?: number;
  /** Time source for the wait (tests pass a fake one). */
  clock?: Clock;
}

/** The lock file for a prefix and service instance. */
export function lockPath(prefix: string, instance: string): string {
  return join(prefix, `.register-runner.${instance}.lock`);
}

/**
 * Takes the exclusive lock for `prefix`/`instance`, waiting while another run holds it (polling a
 * non-blocking `flock`, so a timeout never leaves a blocked thread behind).
 *
 * @throws {LockedError} when the lock is still held after `timeoutMs`.
 */
export async function acquireLock(
  prefix: string,
  instance: string,
  options: AcquireLockOptions = {},
): Promise<Lock> {
  const path = lockPath(prefix, instance);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  try {
    const start = clock.monotonic();
    while (!(await file.tryLock(true))) {
      const waited = Math.round(clock.monotonic() - start);
      if (waited >= timeoutMs) throw await lockedError(path, waited);
      await clock.sleep(Math.min(POLL_MS, timeoutMs - waited));
    }
    await recordHolder(file, path);
  } catch (error) {
    file.close();
    throw error;
  }
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  };
  return { path, release, [Symbol.asyncDispose]: release };
}

/** Writes our pid into the lock file, so a waiting run can say who holds it. */
async function recordHolder(file: Deno.FsFile, path: string): Promise<void> {
  const info = await file.stat();
  if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
}

async function lockedError(path: string, waitedMs: number): Promise<LockedError> {
  const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
  const pid = /^\d+$/.test(holder) ? ` (pid ${holder})` : "";
  return new LockedError(
    `another register-runner run${pid} holds the lock ${path}; gave up after ${duration(waitedMs)}`,
    {
      where: { file: path },
      hint: "wait for that run to finish, or stop it, then run again. A run that died releases " +
        "the lock by itself: do not delete the lock file.",
    },
  );
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/**
 * Runs `work` while holding the lock of `prefix` and `instance` (see {@link acquireLock}), and
 * releases it whatever happens.
 */
export async function withLock<T>(
  prefix: string,
  instance: string,
  options: AcquireLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(prefix, instance, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
