/**
 * The "private to its owner" check for the prefix, the executor directory and every file that may
 * hold a secret: refused when group or others have any access (mode & 0o077), with the exact fix.
 *
 * @module
 */

import { InputError } from "../kernel/errors.ts";
import { shellQuote } from "./fs.ts";

/** Formats a mode's permission bits as octal, e.g. `0644`. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

/**
 * An InputError when `info` (from `Deno.stat` of `path`) allows group or others any access;
 * undefined when private, or when the platform reports no mode. `why` says what the path holds.
 */
export function privacyProblem(
  path: string,
  info: Deno.FileInfo,
  why: string,
): InputError | undefined {
  if (info.mode === null || (info.mode & 0o077) === 0) return undefined;
  const isDir = info.isDirectory;
  const fix = `chmod ${isDir ? "700" : "600"} ${shellQuote(path)}`;
  return new InputError(
    `${path}: ${isDir ? "directory" : "file"} is accessible by group or others ` +
      `(mode ${formatMode(info.mode)}); ${why}`,
    { where: { file: path }, hint: `Run: ${fix}` },
  );
}
