/**
 * Opening the files register-runner writes (lock, journal, config and their temp files) without
 * following a link planted in their place, and naming the environment failures of writing them
 * (full disk, read-only filesystem, no permission, a directory or FIFO in the way) as errors with
 * the path and the fix, instead of internal errors.
 *
 * `Deno.open` has no `O_NOFOLLOW`, so: a path that does not exist is created with `O_EXCL`
 * (`createNew`), which never follows a link, dangling or not; an existing path must be a regular
 * file by `lstat`, and once opened the file must be that same inode (device and inode number),
 * so a swap between the check and the open is caught before anything is written.
 *
 * @module
 */

import { dirname } from "node:path";
import { InputError, RegisterRunnerError } from "../kernel/errors.ts";

/** How {@link openOwnFile} opens the file. */
export interface OwnFileOptions {
  /** Open for appending (else for reading and writing at offset 0). */
  append?: boolean;
  /** Permission bits of a file it creates. */
  mode: number;
  /** What the file is, for messages, e.g. "the lock file". */
  what: string;
}

/**
 * Opens (creating it when absent) the regular file `path` for reading and writing, never through
 * a symlink and never anything but a regular file.
 *
 * @throws {InputError} when `path` is a symlink, a directory, a FIFO or a device, was replaced
 * while being opened, or cannot be created (see {@link writeFailure}).
 */
export async function openOwnFile(path: string, options: OwnFileOptions): Promise<Deno.FsFile> {
  const flags = options.append ? { read: true, append: true } : { read: true, write: true };
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await lstatIfExists(path, options.what);
    if (before === undefined) {
      try {
        return await Deno.open(path, { ...flags, createNew: true, mode: options.mode });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) continue; // created meanwhile: check it
        throw writeFailure(error, path, `create ${options.what}`);
      }
    }
    const problem = notRegular(path, before, options.what);
    if (problem) throw problem;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, flags);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // removed meanwhile: start again
      throw writeFailure(error, path, `open ${options.what}`);
    }
    const after = await file.stat();
    if (after.isFile && after.ino === before.ino && after.dev === before.dev) return file;
    file.close();
    throw replacedError(path, options.what);
  }
  throw replacedError(path, options.what);
}

/** `lstat`, or undefined when nothing is at `path`. */
export async function lstatIfExists(
  path: string,
  what: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw writeFailure(error, path, `inspect ${what}`);
  }
}

/** An InputError when `info` (from `lstat`) is not a regular file: a link, directory, FIFO… */
export function notRegular(
  path: string,
  info: Deno.FileInfo,
  what: string,
): InputError | undefined {
  if (info.isFile) return undefined;
  const kind = kindOf(info);
  return new InputError(`${path}: ${what} is ${kind}, not a regular file`, {
    where: { file: path },
    hint: info.isSymlink
      ? `remove the link (rm ${path}): register-runner never writes through a link, which ` +
        "anyone who can write into the directory could point at another file"
      : `move it out of the way (it is not register-runner's), e.g. mv ${path} ${path}.moved; ` +
        `register-runner creates ${what} itself`,
  });
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

function replacedError(path: string, what: string): InputError {
  return new InputError(`${path}: ${what} was replaced while register-runner opened it`, {
    where: { file: path },
    hint: `something else is changing ${dirname(path)}; make sure only root can write into it`,
  });
}

/** The `errno` name of a Deno file-system error (`ENOSPC`…), if it has one. */
function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` says the filesystem is mounted read-only. */
export function isReadOnlyFilesystem(error: unknown): boolean {
  if (error instanceof RegisterRunnerError) return isReadOnlyFilesystem(error.cause);
  return errnoOf(error) === "EROFS";
}

/**
 * `error` of a failed write to `path` as an {@link InputError} (exit 3) with the path and the fix
 * when it is the environment's doing: a full disk or quota, a read-only filesystem, no
 * permission, a directory in the way. Other errors are returned unchanged (bugs stay bugs).
 * `action` says what was being done, e.g. "write the config".
 */
export function writeFailure(error: unknown, path: string, action: string): unknown {
  if (error instanceof RegisterRunnerError) return error;
  const dir = dirname(path);
  const where = { file: path };
  const fail = (why: string, hint: string) =>
    new InputError(`${path}: cannot ${action}: ${why}`, { where, hint, cause: error });
  switch (errnoOf(error)) {
    case "ENOSPC":
      return fail(
        "no space left on the device",
        `free space on the filesystem that holds ${dir} (see df -h ${dir}), then run again`,
      );
    case "EDQUOT":
      return fail("the disk quota is exhausted", `free space or raise the quota for ${dir}`);
    case "EROFS":
      return fail(
        "the filesystem is read-only",
        `remount the filesystem that holds ${dir} read-write, or give --prefix a writable directory`,
      );
    case "EACCES":
    case "EPERM":
      return fail(
        "permission denied",
        `run register-runner as root or as the owner of ${dir}, and check that ${dir} is ` +
          `writable by that user and not immutable (lsattr -d ${dir})`,
      );
    case "EISDIR":
      return fail(
        "it is a directory",
        `move the directory out of the way; register-runner writes a file there`,
      );
    case "ENOTDIR":
    case "ENOENT":
      return fail("its directory does not exist", `create ${dir} (mode 0700, owned by root)`);
  }
  return error;
}

/**
 * Reads the regular file `path` whole, without following a link at it and refusing more than
 * `maxBytes` (a FIFO would block and a device like `/dev/zero` never ends: both are refused);
 * undefined when nothing is there.
 *
 * @throws {InputError} when it is not a regular file, is too large, or cannot be read.
 */
export async function readOwnFile(
  path: string,
  maxBytes: number,
  what: string,
): Promise<Uint8Array | undefined> {
  const before = await lstatIfExists(path, what);
  if (before === undefined) return undefined;
  const problem = notRegular(path, before, what);
  if (problem) throw problem;
  if (before.size > maxBytes) throw tooLarge(path, what, before.size, maxBytes);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw writeFailure(error, path, `read ${what}`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile || info.ino !== before.ino || info.dev !== before.dev) {
      throw replacedError(path, what);
    }
    const buf = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let size = 0;
    for (;;) {
      if (size === buf.length) throw tooLarge(path, what, size, maxBytes);
      const n = await file.read(buf.subarray(size));
      if (n === null) break;
      size += n;
    }
    if (size > maxBytes) throw tooLarge(path, what, size, maxBytes);
    return buf.subarray(0, size);
  } finally {
    file.close();
  }
}

function tooLarge(path: string, what: string, size: number, max: number): InputError {
  return new InputError(`${path}: ${what} is ${size} bytes or more, over the ${max} allowed`, {
    where: { file: path },
    hint: "check that this is the right file: it is far too large for its purpose",
  });
}
