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
 * files (a FIFO would block), files over `maxBytes` and invalid UTF-8, each as an InputError.
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
  if (info.size > maxBytes) {
    throw new InputError(`${path}: is ${info.size} bytes, more than the ${maxBytes} allowed`, {
      where: { file: path },
      hint: "Check that this is the right file; it is far too large for its purpose.",
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
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
