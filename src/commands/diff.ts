/**
 * A line-based unified diff (as `diff -u` prints it) for showing what `plan` would write, and the
 * masking that keeps tokens out of it. The npm `diff` package finds the edit script; the hunks
 * are laid out here, as GNU diff lays them out.
 *
 * @module
 */

import { diffArrays } from "diff";
import { maskSecretValues } from "../inputs/secrets.ts";

/** Lines of context around each change. */
const CONTEXT = 3;

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

/**
 * A shortest edit script turning `x` into `y`, removals before additions between common lines.
 * Lines only one side has can never be common, so they are left out of the search (as GNU diff
 * does): the npm `diff` package's Myers search costs O((n+m)·d) for d differing lines, and files
 * that share few lines would otherwise cost the most.
 */
function editScript(x: string[], y: string[]): Op[] {
  const inX = new Set(x);
  const inY = new Set(y);
  const xs = x.flatMap((line, i) => (inY.has(line) ? [i] : []));
  const ys = y.flatMap((line, j) => (inX.has(line) ? [j] : []));
  const ops: Op[] = [];
  let a = 0;
  let b = 0;
  const changesBefore = (i: number, j: number) => {
    while (a < i) ops.push({ kind: "-", text: x[a]!, a: a++, b });
    while (b < j) ops.push({ kind: "+", text: y[b]!, a, b: b++ });
  };
  let p = 0;
  let q = 0;
  for (const change of diffArrays(xs.map((i) => x[i]!), ys.map((j) => y[j]!))) {
    const count = change.value.length;
    if (change.removed) p += count;
    else if (change.added) q += count;
    else {
      for (let k = 0; k < count; k++) {
        changesBefore(xs[p++]!, ys[q++]!);
        ops.push({ kind: " ", text: x[a]!, a: a++, b: b++ });
      }
    }
  }
  changesBefore(x.length, y.length);
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
 * `text` (a config.toml) with every secret value masked (`inputs/secrets.ts`'s one rule: tokens,
 * gitlab-runner's secret-bearing keys, secret-like `NAME=value` entries); bracketed placeholders
 * (`"[new token: …]"`) are kept.
 */
export function maskConfigText(text: string): string {
  return maskSecretValues(text);
}
