/**
 * Crash-safe replacement of a file that holds secrets: write a private temp file beside it, fsync,
 * rename over, fsync the directory. A reader (gitlab-runner polls config.toml every 3 s) sees the
 * old file or the new one, never a mix; a crash leaves at worst a stray `.NAME.tmp-<pid>-*` file,
 * which the next write of the same file removes (it may hold tokens). A writer holds an exclusive
 * `flock` on its temp file until the rename, so "stale" means "nobody holds its lock": the kernel
 * drops the lock when the writer dies.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { writeFailure } from "./safe_open.ts";

/** Options for {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the written file; default `0o600`. */
  mode?: number;
  /**
   * `false`: a symlink at `path` is not followed but replaced by the new file (the rename swaps
   * the link itself), and its target is neither read nor written. For files in directories other
   * users can write to, where a planted link must not redirect the write. Default `true`.
   */
  followSymlink?: boolean;
  /**
   * Test seam: runs after the temp file is written and synced, just before the rename (the
   * writer still holds the temp file open and locked). Throwing aborts the write as any other
   * failure would.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
  /**
   * Test seam: runs after a temp file is created and before it is locked: the instant in which
   * another writer's sweep of stale temp files may remove it.
   */
  beforeLock?: (tempPath: string) => void | Promise<void>;
  /**
   * Told (one sentence naming the file, both owners and the fix) when the new file could not be
   * given the old file's owner: without CAP_CHOWN, or with chown(2) blocked by a seccomp filter.
   * The file is written anyway, owned by this process's user, which the old owner (e.g. a
   * non-root gitlab-runner) may no longer be able to read. Without it the message is lost.
   */
  onOwnerLost?: (message: string) => void;
  /** Test seam: the chown used to give the new file the old owner; default `Deno.chown`. */
  chown?: (path: string, uid: number, gid: number) => Promise<void>;
}

/**
 * Replaces `path` with `text` (UTF-8) atomically and durably.
 *
 * - Same contents and permissions no looser than `mode` → nothing is touched: `"unchanged"`.
 * - Same contents but looser permissions → only `chmod`: `"written"`.
 * - Otherwise a temp file `.NAME.tmp-<pid>-<random>` is created in the same directory with `mode`
 *   from the start (O_EXCL, never wider than `mode` even for an instant), given the old file's
 *   owner when possible, written, fsynced, renamed over `path`, and the directory is fsynced.
 *
 * A symlink at `path` is followed: its target is replaced and the link kept (unless
 * `followSymlink` is `false`). On any failure the
 * temp file is removed, the original stays byte-for-byte, and the error is rethrown. Temp files
 * of `path` left by writers that died (see the module doc) are removed first.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: WriteFileAtomicOptions = {},
): Promise<"written" | "unchanged"> {
  try {
    return await writeAtomically(path, text, options);
  } catch (error) {
    throw writeFailure(error, path, "write it");
  }
}

async function writeAtomically(
  path: string,
  text: string,
  options: WriteFileAtomicOptions,
): Promise<"written" | "unchanged"> {
  const mode = options.mode ?? 0o600;
  const follow = options.followSymlink ?? true;
  const target = follow ? await resolveSymlink(path) : path;
  const bytes = new TextEncoder().encode(text);
  await removeStaleTemps(target);
  const existing = follow ? await statOrUndefined(target) : await lstatOrUndefined(target);
  if (existing?.isFile && sameBytes(await Deno.readFile(target), bytes)) {
    if (existing.mode === null || (existing.mode & 0o777 & ~mode) === 0) return "unchanged";
    await Deno.chmod(target, mode);
    return "written";
  }
  let temp = "";
  try {
    const locked = await createLockedTemp(target, mode, options.beforeLock);
    temp = locked.temp;
    const file = locked.file;
    try {
      // The umask may have removed bits we want (it never adds any): put them back.
      const created = (await file.stat()).mode;
      if (created !== null && (created & 0o7777) !== mode) await Deno.chmod(temp, mode);
      if (existing?.isFile) await keepOwner(temp, target, existing, options);
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.sync();
      await options.beforeRename?.(temp);
      await Deno.rename(temp, target);
    } finally {
      file.close();
    }
    await syncDirectory(dirname(target));
    return "written";
  } catch (error) {
    if (temp) await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Creates `.NAME.tmp-<pid>-<hex>` beside `target` and takes its exclusive lock (held until the
 * rename: it tells {@link removeStaleTemps} the writer is alive). Another writer's sweep may remove
 * the file in the instant between creating and locking it, so once locked, the path must still be
 * this file; otherwise it starts again with a new name.
 */
async function createLockedTemp(
  target: string,
  mode: number,
  beforeLock: WriteFileAtomicOptions["beforeLock"],
): Promise<{ temp: string; file: Deno.FsFile }> {
  for (let attempt = 1;; attempt++) {
    const temp = join(dirname(target), `.${basename(target)}.tmp-${Deno.pid}-${randomHex(6)}`);
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      await beforeLock?.(temp);
      await file.lock(true);
      const [mine, there] = [await file.stat(), await statOrUndefined(temp)];
      if (there !== undefined && there.ino === mine.ino && there.dev === mine.dev) {
        return { temp, file };
      }
    } catch (error) {
      file.close();
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    file.close(); // swept before we locked it: the inode is already unlinked
    if (attempt >= 5) throw new Error(`could not create a temp file beside ${target}`);
  }
}

/**
 * Removes `.NAME.tmp-<pid>-<hex>` files beside `target` that no writer holds locked: left by a
 * write that was killed between creating and renaming its temp file. Failures are ignored: this
 * is hygiene only (such files may hold tokens). Returns the names removed.
 */
export async function removeStaleTemps(target: string): Promise<string[]> {
  const removed: string[] = [];
  const dir = dirname(target);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(target))}\\.tmp-\\d+-[0-9a-f]+$`);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !pattern.test(entry.name)) continue;
      const path = join(dir, entry.name);
      const file = await Deno.open(path, { read: true });
      try {
        if (!(await file.tryLock(true))) continue; // a live writer
        await Deno.remove(path);
        removed.push(entry.name);
      } finally {
        file.close();
      }
    }
  } catch {
    // best effort
  }
  return removed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** fsyncs a directory so a rename or unlink in it survives a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

async function resolveSymlink(path: string): Promise<string> {
  try {
    if ((await Deno.lstat(path)).isSymlink) return await Deno.realPath(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return path;
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Gives the new file the old one's owner (e.g. a non-root gitlab-runner); only root with
 * CAP_CHOWN can. When it cannot, the file is still written and `onOwnerLost` is told.
 */
async function keepOwner(
  temp: string,
  target: string,
  old: Deno.FileInfo,
  options: Pick<WriteFileAtomicOptions, "onOwnerLost" | "chown">,
): Promise<void> {
  const mine = await Deno.stat(temp);
  if (old.uid === null || old.gid === null || (old.uid === mine.uid && old.gid === mine.gid)) {
    return;
  }
  try {
    await (options.chown ?? Deno.chown)(temp, old.uid, old.gid);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    options.onOwnerLost?.(
      `${target} is now owned by uid ${mine.uid} gid ${mine.gid}, not uid ${old.uid} gid ${old.gid} ` +
        `as before: giving it its owner back failed (${error.message}); a gitlab-runner running ` +
        `as uid ${old.uid} may no longer read it. Run register-runner as root with CAP_CHOWN ` +
        `(under systemd its SystemCallFilter= must allow @chown), or chown the file back`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
