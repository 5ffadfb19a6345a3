/**
 * File-system helpers that turn every failure into an {@link InputError} naming the path.
 *
 * @module
 */

import { InputError } from "../kernel/errors.ts";

/** Quotes `path` for a shell command in a hint, only when needed. */
export function shellQuote(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** An {@link InputError} for a failed file-system call on `path` (`action`: "read", "list"…). */
export function fsError(error: unknown, path: string, action: string): InputError {
  const where = { file: path };
  if (error instanceof Deno.errors.NotFound) {
    return new InputError(`${path}: does not exist`, { where, hint: `Create ${path}.` });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new InputError(`${path}: permission denied (cannot ${action} it)`, {
      where,
      hint: `Run register-runner as the user that owns ${path} (usually root).`,
    });
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new InputError(`${path}: register-runner is not allowed to ${action} it`, {
      where,
      hint: "Run it with Deno's --allow-read (and --allow-env) permissions.",
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new InputError(`${path}: cannot ${action} it: ${reason}`, { where });
}

/** `Deno.stat` (following symlinks); undefined when `path` does not exist. */
export async function statIfExists(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw fsError(error, path, "inspect");
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads a regular file as UTF-8 text, exactly (a byte-order mark is kept). Refuses non-regular
 * files (a FIFO would block, a device like `/dev/zero` never ends), files over `maxBytes` (also
 * when one grows while read) and invalid UTF-8, each as an InputError. The file read is the one
 * checked (same inode), never a file swapped in between.
 */
export async function readTextFile(path: string, maxBytes: number): Promise<string> {
  const info = await statIfExists(path);
  if (info === undefined) throw fsError(new Deno.errors.NotFound(), path, "read");
  if (!info.isFile) {
    throw new InputError(`${path}: is not a regular file`, {
      where: { file: path },
      hint: `Replace ${path} with a regular file.`,
    });
  }
  if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
  let bytes: Uint8Array;
  try {
    bytes = await readSameFile(path, info, maxBytes);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fsError(error, path, "read");
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InputError(`${path}: is not valid UTF-8 text`, {
      where: { file: path },
      hint: "Save the file as UTF-8 (it may be a binary file or in another encoding).",
    });
  }
}

function tooLarge(path: string, size: number, maxBytes: number, grew = false): InputError {
  const what = `${size} bytes${grew ? " or more (it grew while read)" : ""}`;
  return new InputError(`${path}: is ${what}, more than the ${maxBytes} allowed`, {
    where: { file: path },
    hint: "Check that this is the right file; it is far too large for its purpose.",
  });
}

/**
 * The bytes of `path` when it is itself a regular file (a link is not followed) of at most
 * `maxBytes`, read from the very file checked (same inode); undefined when it is missing, is
 * anything else, grows past `maxBytes` or cannot be read. For best-effort reads that must never
 * hang on a FIFO nor read a device without end.
 */
export async function readRegularFileIfAny(
  path: string,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile || info.size > maxBytes) return undefined;
  try {
    return await readSameFile(path, info, maxBytes);
  } catch {
    return undefined;
  }
}

/** Reads at most `maxBytes` of `path`, which must still be the file `checked` describes. */
async function readSameFile(
  path: string,
  checked: Deno.FileInfo,
  maxBytes: number,
): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const info = await file.stat();
    if (!info.isFile || info.ino !== checked.ino || info.dev !== checked.dev) {
      throw new InputError(`${path}: was replaced while register-runner read it`, {
        where: { file: path },
        hint: `Make sure only root can write into the directory of ${path}.`,
      });
    }
    const buf = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let size = 0;
    for (;;) {
      if (size === buf.length) throw tooLarge(path, size, maxBytes, true);
      const n = await file.read(buf.subarray(size));
      if (n === null) break;
      size += n;
    }
    return buf.slice(0, size);
  } finally {
    file.close();
  }
}
