/**
 * "Record before acting": before register-runner changes anything in GitLab it proves that it can
 * record the outcome in the prefix: that the directory takes a new file and has room for the
 * config it will write plus the journal lines of the tokens GitLab may issue. Otherwise a deleted
 * runner, or a token GitLab has already issued, would be lost with an unwritable config.
 *
 * The proof is a probe file `.register-runner.{instance}.probe-<pid>-<hex>`: created with O_EXCL
 * (so it never follows a symlink or reuses a file), mode 0600, filled with as many bytes as the run
 * will need, fsynced (a file system that allocates lazily reports a full disk only then), and
 * removed. Space is what the written files will take on top of what the prefix already holds: the
 * new config is written beside the old one before the rename, and the journal lives until then.
 * Reserving nothing beyond the probe, this is a check, not a guarantee: another process may fill
 * the disk afterwards; then the run fails as before, and the journal keeps what it holds.
 *
 * @module
 */

import { join } from "node:path";
import { InputError } from "../kernel/errors.ts";

/** The probe file for a prefix, instance and unique part (`<pid>-<hex>`). */
export function probePath(prefix: string, instance: string, unique: string): string {
  return join(prefix, `.register-runner.${instance}.probe-${unique}`);
}

/** Options for {@link assertRecordable}. */
export interface RecordableOptions {
  /** Bytes the run will write (0: only prove the directory takes a new file). */
  bytes: number;
  /** What will be written, for the message (e.g. "config.main.toml and the token journal"). */
  what: string;
  /** Existing files the run appends to in place (the journal); each must open for appending. */
  appendTo?: string[];
}

/**
 * Throws an {@link InputError} (exit 3) naming the directory or file and the fix when the prefix
 * cannot take `bytes` more bytes in new files (read-only, full, no permission). Writes nothing
 * that stays: the probe is removed whatever happens.
 */
export async function assertRecordable(
  prefix: string,
  instance: string,
  options: RecordableOptions,
): Promise<void> {
  const unique = `${Deno.pid}-${randomHex(6)}`;
  const path = probePath(prefix, instance, unique);
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    const chunk = new Uint8Array(Math.min(options.bytes, 64 * 1024));
    for (let left = options.bytes; left > 0;) {
      const n = await file.write(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= n;
    }
    await file.sync();
  } catch (error) {
    throw cannotRecord(prefix, options, error, file === undefined ? "create" : "fill");
  } finally {
    file?.close();
    if (file !== undefined) await Deno.remove(path).catch(() => {});
  }
  for (const existing of options.appendTo ?? []) {
    try {
      (await Deno.open(existing, { append: true })).close();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw cannotRecord(existing, options, error, "append");
    }
  }
}

function cannotRecord(
  where: string,
  options: RecordableOptions,
  error: unknown,
  step: "create" | "fill" | "append",
): InputError {
  const reason = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  const full = code === "ENOSPC" || code === "EDQUOT" || /No space left|quota/i.test(reason);
  const readOnly = code === "EROFS" || /Read-only file system/i.test(reason);
  const doing = step === "create"
    ? `cannot create a file in ${where}`
    : step === "fill"
    ? `${where} has no room for ${options.bytes} bytes`
    : `cannot append to ${where}`;
  const fix = full
    ? `free space on the file system that holds ${where}`
    : readOnly
    ? `mount ${where}'s file system read-write`
    : `let this user write to ${where}`;
  return new InputError(
    `${doing} (${reason}); register-runner records ${options.what} there, so it changed nothing in GitLab`,
    {
      where: { file: where },
      hint: `${fix}, then run again.`,
      cause: error,
    },
  );
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * {@link assertRecordable} run at most once, when first awaited (before the first change in
 * GitLab, from whichever GitLab gets there first); every later call shares its outcome.
 */
export function recordableOnce(
  prefix: string,
  instance: string,
  options: () => RecordableOptions,
): () => Promise<void> {
  let check: Promise<void> | undefined;
  return () => (check ??= assertRecordable(prefix, instance, options()));
}
