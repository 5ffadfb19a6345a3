import { equal } from "node:assert/strict";
import { seededRandom } from "../../tests/support/fixtures.ts";
import { maskConfigText, unifiedDiff } from "./diff.ts";

/** GNU diff's hunks for the same inputs (headers dropped), when `diff` is installed. */
async function gnuDiff(a: string, b: string): Promise<string | undefined> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, a);
    await Deno.writeTextFile(`${dir}/b`, b);
    const out = await new Deno.Command("diff", {
      args: ["-u", `${dir}/a`, `${dir}/b`],
      stdout: "piped",
    })
      .output();
    return new TextDecoder().decode(out.stdout).split("\n").slice(2).join("\n");
  } catch {
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const lines = (n: number, f: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => f(i) + "\n").join("");

const CASES: [string, string, string][] = [
  ["equal", "a\nb\n", "a\nb\n"],
  ["from nothing", "", "a\nb\n"],
  ["to nothing", "a\nb\n", ""],
  [
    "one change in the middle",
    lines(20, (i) => `l${i}`),
    lines(20, (i) => i === 10 ? "X" : `l${i}`),
  ],
  [
    "two distant changes: two hunks",
    lines(30, (i) => `l${i}`),
    lines(30, (i) => (i === 2 || i === 25 ? `x${i}` : `l${i}`)),
  ],
  [
    "insert at start and delete at end",
    lines(8, (i) => `l${i}`),
    "new\n" + lines(7, (i) => `l${i}`),
  ],
];

for (const [name, a, b] of CASES) {
  Deno.test(`unifiedDiff matches diff -u: ${name}`, async () => {
    const ours = unifiedDiff(a, b, { from: "a", to: "b" });
    if (a === b) return equal(ours, "");
    equal(ours.split("\n").slice(0, 2).join("\n"), "--- a\n+++ b");
    const expected = await gnuDiff(a, b);
    if (expected === undefined) return; // no diff(1) on this machine
    equal(ours.split("\n").slice(2).join("\n"), expected);
  });
}

Deno.test("maskConfigText hides token values, keeps placeholders and times", () => {
  const text = [
    `  token = "glrt-abc_DEF-123"`,
    `token="t1_secret"`,
    `  token = "[new token: reset]"`,
    `  token_obtained_at = 2025-12-07T05:27:35Z`,
    `  registration_token = 'GR1348941xyz'`,
    `  name = "mentions glpat-0123456789abcdef in passing"`,
  ].join("\n");
  equal(
    maskConfigText(text),
    [
      `  token = "[redacted]"`,
      `token="[redacted]"`,
      `  token = "[new token: reset]"`,
      `  token_obtained_at = 2025-12-07T05:27:35Z`,
      `  registration_token = "[redacted]"`,
      `  name = "mentions [redacted] in passing"`,
    ].join("\n"),
  );
});

/** Applies a unified diff's hunks to `before` (every context and removed line must match). */
function applyDiff(before: string, diff: string): string {
  const source = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let at = 0;
  for (const line of diff.split("\n").slice(2, -1)) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - (hunk[2] === "0" ? 0 : 1);
      while (at < start) out.push(source[at++]!);
      continue;
    }
    const [kind, text] = [line[0], line.slice(1)];
    if (kind === "+") out.push(text);
    else {
      equal(source[at], text, `line ${at + 1} of the old text`);
      if (kind === " ") out.push(text);
      at++;
    }
  }
  while (at < source.length) out.push(source[at++]!);
  return out.map((l) => l + "\n").join("");
}

/** Length of a longest common subsequence (the slow, obviously right way; short inputs only). */
function lcsLength(x: string[], y: string[]): number {
  let row = new Array<number>(y.length + 1).fill(0);
  for (const a of x) {
    const next = [0];
    for (let j = 0; j < y.length; j++) {
      next.push(a === y[j] ? row[j]! + 1 : Math.max(row[j + 1]!, next[j]!));
    }
    row = next;
  }
  return row[y.length]!;
}

Deno.test("unifiedDiff on random edits: applying it gives the new text, and it is shortest", () => {
  const random = seededRandom(9);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  // Few distinct lines, so that many alignments are possible; some lines only one side has.
  const alphabet = ["", "[[runners]]", `  token = "[redacted]"`, "  a = 1", "  b = 2", "x"];
  for (let round = 0; round < 300; round++) {
    const a = Array.from({ length: Math.floor(random() * 40) }, () => pick(alphabet));
    const b = [...a];
    for (let k = Math.floor(random() * 8); k > 0; k--) {
      const i = Math.floor(random() * (b.length + 1));
      const r = random();
      if (r < 0.3) b.splice(i, 1);
      else if (r < 0.6) b.splice(i, 0, random() < 0.3 ? `only new ${k}` : pick(alphabet));
      else b[i] = random() < 0.3 ? `changed ${k}` : pick(alphabet);
    }
    const before = a.map((l) => l + "\n").join("");
    const after = b.map((l) => l + "\n").join("");
    const diff = unifiedDiff(before, after, { from: "a", to: "b" });
    if (before === after) {
      equal(diff, "");
      continue;
    }
    equal(applyDiff(before, diff), after, `round ${round}:\n${diff}`);
    const changed = diff.split("\n").slice(2).filter((l) => /^[-+]/.test(l)).length;
    equal(changed, a.length + b.length - 2 * lcsLength(a, b), `round ${round}: not shortest`);
  }
});

/** A config.toml-like text: `n` runner sections, `changed(i)` edits section i. */
const config = (n: number, changed: (i: number) => boolean = () => false) =>
  lines(n, (i) =>
    [
      "[[runners]]",
      `  name = "r${i}"`,
      `  token = "${changed(i) ? "[new token: reset]" : "[redacted]"}"`,
      `  executor = "shell"`,
      "",
    ].join("\n"));

for (
  const [name, a, b] of [
    [
      "a runner section removed from the middle",
      config(6),
      config(6).replace(/\[\[runners\]\]\n {2}name = "r3"[^[]*/, ""),
    ],
    ["tokens of some runners changed", config(8), config(8, (i) => i % 3 === 1)],
    ["no line in common", config(4), config(4).replaceAll("\n", " #\n")],
  ] as const
) {
  Deno.test(`unifiedDiff matches diff -u on config-shaped text: ${name}`, async () => {
    const ours = unifiedDiff(a, b, { from: "a", to: "b" });
    equal(applyDiff(a, ours), b);
    const expected = await gnuDiff(a, b);
    if (expected === undefined) return; // no diff(1) on this machine
    equal(ours.split("\n").slice(2).join("\n"), expected);
  });
}
