/**
 * The "private to its owner" check for the prefix, the executor directory and every file that may
 * hold a secret: refused when owned by anyone but root or the user running register-runner (as
 * sshd's StrictModes: whoever owns it can change it, mode or not), or when group or others have
 * any access (mode & 0o077), with the exact fix.
 *
 * @module
 */

import { InputError } from "../kernel/errors.ts";
import { shellQuote } from "./fs.ts";

/** Formats a mode's permission bits as octal, e.g. `0644`. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

let runningUid: number | null | undefined;

/**
 * The uid of this process (`Deno.uid()`, granted by `--allow-sys=uid`); null where the platform
 * has none or the permission is missing (the owner check is then skipped).
 */
export function currentUid(): number | null {
  if (runningUid === undefined) {
    try {
      runningUid = Deno.uid();
    } catch {
      runningUid = null;
    }
  }
  return runningUid;
}

/**
 * An InputError when `info` (from `Deno.stat` of `path`) is owned by another user than root or
 * the running one, or allows group or others any access; undefined when private, or when the
 * platform reports no owner or mode. `why` says what the path holds.
 */
export function privacyProblem(
  path: string,
  info: Deno.FileInfo,
  why: string,
): InputError | undefined {
  const me = currentUid();
  if (info.uid !== null && me !== null && info.uid !== 0 && info.uid !== me) {
    const owner = me === 0 ? "root" : `root or uid ${me} (the user running register-runner)`;
    return new InputError(
      `${path}: ${info.isDirectory ? "directory" : "file"} is owned by uid ${info.uid}, not by ` +
        `${owner}; ${why} Its owner could change it whatever its mode.`,
      {
        where: { file: path },
        hint:
          `if uid ${info.uid} is not meant to control the runners, check the contents, then run: ` +
          `chown ${me === 0 ? "root:root" : String(me)} ${shellQuote(path)}`,
      },
    );
  }
  if (info.mode === null || (info.mode & 0o077) === 0) return undefined;
  const isDir = info.isDirectory;
  const fix = `chmod ${isDir ? "700" : "600"} ${shellQuote(path)}`;
  return new InputError(
    `${path}: ${isDir ? "directory" : "file"} is accessible by group or others ` +
      `(mode ${formatMode(info.mode)}); ${why}`,
    { where: { file: path }, hint: `Run: ${fix}` },
  );
}

/**
 * Whether another user controls `info`'s file or directory: owned by someone but root or the
 * running user, or (a directory) writable by group or others, who could plant links in it.
 * Contents under such a path are not read at all, so no excerpt of a file that someone else
 * pointed a link at (a root-only key, say) is ever shown; a merely readable one is still read.
 */
export function controlledByOthers(info: Deno.FileInfo): boolean {
  const me = currentUid();
  if (info.uid !== null && me !== null && info.uid !== 0 && info.uid !== me) return true;
  return info.isDirectory && info.mode !== null && (info.mode & 0o022) !== 0;
}
