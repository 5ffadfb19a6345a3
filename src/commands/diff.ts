/**
 * A small line-based unified diff (as `diff -u` prints it) for showing what `plan` would write,
 * and the masking that keeps tokens out of it.
 *
 * @module
 */

import { maskTokens } from "../inputs/secrets.ts";

/** Lines of context around each change. */
const CONTEXT = 3;

/** The value every token in a shown config gets. */
export const MASKED = "[redacted]";

interface Op {
  kind: " " | "-" | "+";
  text: string;
  /** Lines of the old text before this one. */
  a: number;
  /** Lines of the new text before this one. */
  b: number;
}

function lines(text: string): string[] {
  if (text === "") return [];
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

/** The edit script turning `x` into `y` (longest common subsequence). */
function editScript(x: string[], y: string[]): Op[] {
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i]!;
    const below = lcs[i + 1]!;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = x[i] === y[j] ? below[j + 1]! + 1 : Math.max(below[j]!, row[j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      ops.push({ kind: " ", text: x[i]!, a: i++, b: j++ });
    } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: "-", text: x[i]!, a: i++, b: j });
    } else {
      ops.push({ kind: "+", text: y[j]!, a: i, b: j++ });
    }
  }
  return ops;
}

function range(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/**
 * The unified diff from `before` to `after`, with `---`/`+++` headers naming `labels`; the empty
 * string when they are equal.
 */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { from: string; to: string },
): string {
  if (before === after) return "";
  const ops = editScript(lines(before), lines(after));
  const changed = ops.flatMap((op, index) => (op.kind === " " ? [] : [index]));
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let g = 0;
  while (g < changed.length) {
    let last = g;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * CONTEXT) last++;
    const start = Math.max(0, changed[g]! - CONTEXT);
    const end = Math.min(ops.length, changed[last]! + CONTEXT + 1);
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((op) => op.kind !== "+").length;
    const bCount = hunk.filter((op) => op.kind !== "-").length;
    out.push(`@@ -${range(hunk[0]!.a, aCount)} +${range(hunk[0]!.b, bCount)} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.text}`);
    g = last + 1;
  }
  return out.join("\n") + "\n";
}

/**
 * `text` (a config.toml) with the quoted value of every key whose name contains `token` replaced
 * by {@link MASKED}, and anything else shaped like a GitLab token masked too. Values that are
 * already a bracketed placeholder (`"[new token: …]"`) are kept.
 */
export function maskConfigText(text: string): string {
  const masked = text.replace(
    /^(\s*"?[A-Za-z0-9_-]*token[A-Za-z0-9_-]*"?\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')/gim,
    (whole, key: string, value: string) =>
      /^"\[[^"\]]*\]"$/.test(value) ? whole : `${key}"${MASKED}"`,
  );
  return maskTokens(masked);
}
