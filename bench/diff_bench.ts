/**
 * `deno task bench:diff`: the config diff `plan` prints, on config.toml-shaped inputs of about
 * 2.2k and 4.4k lines (100 and 200 runners), for a few edits (the usual case: some tokens and
 * tags change), for every runner's section changed, for no line in common, and for the same
 * sections in reverse order (the slowest case: many common lines, far apart).
 *
 * ```sh
 * deno task bench:diff
 * ```
 *
 * @module
 */

import { unifiedDiff } from "../src/commands/diff.ts";

/** A config.toml with `runners` sections of 22 lines each; `edit(i)` changes runner i. */
export function configText(runners: number, edit: (i: number) => boolean = () => false): string {
  const lines = ["concurrent = 4", "check_interval = 0", ""];
  for (let i = 0; i < runners; i++) {
    const changed = edit(i);
    lines.push(
      "[[runners]]",
      `  name = "node7 main r${i} Runner"`,
      `  url = "https://gitlab.example.com"`,
      `  id = ${1000 + i}`,
      `  token = "${changed ? "[new token: reset]" : "[redacted]"}"`,
      `  token_obtained_at = 2025-12-07T05:27:${changed ? "36" : "35"}Z`,
      "  token_expires_at = 0001-01-01T00:00:00Z",
      `  executor = "shell"`,
      `  builds_dir = "/var/tmp/gitlab-runner/builds/r${i}"`,
      `  environment = ["RUNNER=${i}"${changed ? `, "EXTRA=1"` : ""}]`,
      "  [runners.custom_build_dir]",
      "    enabled = true",
      "  [runners.cache]",
      "    MaxUploadedArchiveSize = 0",
      "  [runners.feature_flags]",
      "    FF_USE_FASTZIP = true",
      "    FF_SCRIPT_SECTIONS = true",
      "  [runners.shell]",
      `    shell = "bash"`,
      "  # end of runner",
      "",
      "",
    );
  }
  return lines.join("\n") + "\n";
}

const labels = { from: "config.main.toml", to: "config.main.toml (planned)" };

for (const runners of [100, 200]) {
  const before = configText(runners);
  const lineCount = before.split("\n").length - 1;
  const someEdits = configText(runners, (i) => i % 10 === 3);
  const rewritten = configText(runners, () => true).replaceAll("Runner", "runner");
  const disjoint = before.replaceAll("\n", " #\n");
  const [head, ...sections] = before.split("[[runners]]");
  const reversed = head + sections.reverse().map((s) => "[[runners]]" + s).join("");
  Deno.bench(`unifiedDiff ${lineCount} lines, every 10th runner changed`, () => {
    unifiedDiff(before, someEdits, labels);
  });
  Deno.bench(`unifiedDiff ${lineCount} lines, every runner changed`, () => {
    unifiedDiff(before, rewritten, labels);
  });
  Deno.bench(`unifiedDiff ${lineCount} lines, no line in common`, () => {
    unifiedDiff(before, disjoint, labels);
  });
  Deno.bench(`unifiedDiff ${lineCount} lines, runner sections in reverse order`, () => {
    unifiedDiff(before, reversed, labels);
  });
}
