import { equal } from "node:assert/strict";
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
