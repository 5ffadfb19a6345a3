/**
 * Telling a config.toml that was cut short from one with a syntax error. gitlab-runner rewrites
 * its config in place (Go's `os.WriteFile`: truncate, then write), so a crash in the middle leaves
 * a prefix of the file it meant to write, possibly padded with NUL bytes by the file system.
 *
 * smol-toml's error position is no help: a cut inside a string or a table header is reported
 * where the string or key begins, not at the end of input. What is robust is the shape of the
 * files gitlab-runner and register-runner write: one key, header or comment per line, arrays and
 * tables inline. A prefix of such a file fails to parse only in its last, unfinished line.
 *
 * @module
 */

import { parse } from "smol-toml";

/**
 * True when `bytes` (a file that does not parse) is a cut-short TOML document:
 *
 * - it parses once trailing NUL bytes are dropped (a crash after the size was extended), or
 * - it does not end with a line break, and everything up to its last line break parses (the
 *   cut is inside the last line; what that line held is lost).
 *
 * A syntax error on any complete line (one followed by a line break) is not a cut: false. So is a
 * file that ends with a line break but still fails (a multi-line construct cut at a line break is
 * not told apart from an error). A typo on a last line without a line break counts as a cut.
 */
export function isTornToml(bytes: Uint8Array): boolean {
  if (parsesAsToml(bytes)) return false;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const body = bytes.subarray(0, end);
  if (end < bytes.length && parsesAsToml(body)) return true;
  const lastBreak = body.lastIndexOf(0x0a);
  if (lastBreak === body.length - 1) return false;
  return parsesAsToml(body.subarray(0, lastBreak + 1));
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function parsesAsToml(bytes: Uint8Array): boolean {
  try {
    const text = decoder.decode(bytes);
    parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
    return true;
  } catch {
    return false;
  }
}
