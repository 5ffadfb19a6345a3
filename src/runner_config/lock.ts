/**
 * One register-runner run per prefix and instance at a time: an exclusive advisory `flock` on
 * `{prefix}/.register-runner.{instance}.lock`. The kernel drops it when the holder exits or is
 * killed, so a crashed run never leaves a stale lock; the file itself stays (deleting it would let
 * two runs lock two different inodes). It is opened without following a link and must be a
 * regular file (see `safe_open.ts`): root never truncates or chmods a file planted there.
 *
 * @module
 */

import { join } from "node:path";
import { type Clock, systemClock } from "../kernel/env.ts";
import { LockedError } from "../kernel/errors.ts";
import { isReadOnlyFilesystem, lstatIfExists, openOwnFile, writeFailure } from "./safe_open.ts";

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
  /**
   * Called, for {@link withLock}, when the lock file cannot be created because the prefix is on
   * a read-only filesystem: the work then runs without the lock (nobody can write there, so
   * there is nothing to exclude), and any write it tries fails with a clear error. Without it
   * that is an error too.
   */
  onReadOnly?: (message: string) => void;
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
  const file = await openOwnFile(path, { mode: 0o600, what: "the lock file" });
  try {
    const start = clock.monotonic();
    while (!(await file.tryLock(true))) {
      const waited = Math.round(clock.monotonic() - start);
      if (waited >= timeoutMs) throw await lockedError(file, path, waited);
      await clock.sleep(Math.min(POLL_MS, timeoutMs - waited));
    }
    await recordHolder(file, path);
  } catch (error) {
    file.close();
    throw writeFailure(error, path, "write the lock file");
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
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    // There is no fchmod in Deno: chmod the path only while it still is the file we hold.
    const now = await lstatIfExists(path, "the lock file");
    if (now?.isFile && now.ino === info.ino && now.dev === info.dev) await Deno.chmod(path, 0o600);
  }
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
}

async function lockedError(
  file: Deno.FsFile,
  path: string,
  waitedMs: number,
): Promise<LockedError> {
  const holder = (await readHolder(file).catch(() => "")).trim();
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

/** The first bytes of the lock file (the holder's pid), read through the open file. */
async function readHolder(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const buf = new Uint8Array(32);
  const n = await file.read(buf);
  return new TextDecoder().decode(buf.subarray(0, n ?? 0));
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
  let lock: Lock;
  try {
    lock = await acquireLock(prefix, instance, options);
  } catch (error) {
    if (!options.onReadOnly || !isReadOnlyFilesystem(error)) throw error;
    options.onReadOnly(
      `${prefix} is on a read-only filesystem: running without the lock ` +
        `${lockPath(prefix, instance)}; nothing can be written, so this run only checks`,
    );
    return await work();
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
