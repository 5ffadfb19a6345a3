/**
 * Per-command help, did-you-mean for typos, and the man page and shell completions generated
 * from the same definitions as `--help` (src/cli/spec.ts): through the real CLI, and against the
 * committed files in packaging/.
 */

import { equal, match, ok } from "node:assert/strict";
import { generatedDocs } from "../scripts/gen_docs.ts";
import { parseCli } from "../src/cli/options.ts";
import { COMMANDS, ENVIRONMENT, OPTIONS, optionsFor } from "../src/cli/spec.ts";
import { DENO_RUN_CLI, ROOT } from "./support/cli.ts";

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [program, ...leading] = DENO_RUN_CLI;
  const out = await new Deno.Command(program!, {
    args: [...leading, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function has(program: string): Promise<boolean> {
  try {
    return (await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

Deno.test("help plan, plan --help: plan's own options and exit codes, exit 0", async () => {
  for (const args of [["help", "plan"], ["plan", "--help"]]) {
    const r = await cli(args);
    equal(r.code, 0, r.stderr);
    match(r.stdout, /^register-runner plan: /);
    match(r.stdout, /^ {2}10 changes pending$/m);
    match(r.stdout, /--timeout SECONDS/);
    ok(!r.stdout.includes("--yes"), "plan --help lists unregister's --yes");
    ok(!r.stdout.includes("--strict"), "plan --help lists sync's --strict");
    ok(!r.stdout.includes("--lock-timeout"), "plan takes no lock");
  }
  const check = await cli(["check", "--help"]);
  equal(check.code, 0);
  ok(!check.stdout.includes("--timeout"), "check contacts no GitLab");
  ok(!/^ {2}(4|5|6|10) /m.test(check.stdout), "check cannot exit 4, 5, 6 or 10");
  const unregister = await cli(["help", "unregister"]);
  match(unregister.stdout, /--yes/);
});

Deno.test("help without a command, and --help, show the overview with every command", async () => {
  const help = await cli(["help"]);
  const flag = await cli(["--help"]);
  equal(help.code, 0);
  equal(flag.code, 0);
  equal(help.stdout, flag.stdout);
  for (const command of COMMANDS) match(help.stdout, new RegExp(`register-runner \\[?${command}`));
  match(help.stdout, /register-runner help \[COMMAND\]/);
});

Deno.test("typos get a did-you-mean, never Node's parser text", async () => {
  const cases: [string[], RegExp][] = [
    [["--prefx", "/tmp"], /unknown option --prefx[\s\S]*did you mean --prefix\?/],
    [["plan", "--prefx=/tmp"], /unknown option --prefx[\s\S]*did you mean --prefix\?/],
    [["plan", "--tiemout", "3"], /did you mean --timeout\?/],
    [["pln"], /unknown command "pln"[\s\S]*did you mean plan\?/],
    [["help", "unregistr"], /did you mean unregister\?/],
    [["--timeout"], /--timeout needs a value/],
    [["-x"], /unknown option -x/],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(args);
    equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(r.stderr, expected);
    ok(!r.stderr.includes("To specify a positional"), r.stderr);
    equal((r.stderr.match(/'/g) ?? []).length % 2, 0, `unbalanced quotes: ${r.stderr}`);
  }
  // Nothing close: no wild guess.
  const far = await cli(["--zzzzzzzz"]);
  equal(far.code, 2);
  ok(!far.stderr.includes("did you mean"), far.stderr);
});

Deno.test("the committed man page and completions are generated from the CLI definitions", async () => {
  for (const [path, text] of Object.entries(generatedDocs())) {
    const committed = await Deno.readTextFile(`${ROOT}${path}`);
    equal(committed, text, `${path} is stale: run deno task docs`);
  }
  const man = generatedDocs()["packaging/register-runner.1"]!;
  for (const section of ["NAME", "SYNOPSIS", "OPTIONS", "FILES", "ENVIRONMENT", "EXIT STATUS"]) {
    match(man, new RegExp(`^\\.SH ${section}$`, "m"));
  }
  match(man, /^\.SH EXAMPLES$/m);
  for (const option of OPTIONS) {
    ok(
      man.includes(`\\fB\\-\\-${option.name.replaceAll("-", "\\-")}\\fR`),
      `man lacks --${option.name}`,
    );
  }
  for (const command of COMMANDS) ok(man.includes(`\\fB${command}\\fR`), `man lacks ${command}`);
  const zsh = generatedDocs()["packaging/completions/_register-runner"]!;
  for (const option of OPTIONS) {
    ok(new RegExp(`--${option.name}(\\[|\\}'\\[)`).test(zsh), `zsh lacks --${option.name}`);
  }
});

Deno.test({
  name: "the man page renders without warnings",
  ignore: !(await has("groff")),
  fn: async () => {
    const out = await new Deno.Command("groff", {
      args: ["-man", "-ww", "-z", `${ROOT}packaging/register-runner.1`],
      stderr: "piped",
    }).output();
    equal(out.code, 0);
    equal(new TextDecoder().decode(out.stderr), "");
  },
});

/** What the bash completion offers for a command line (the last word is being completed). */
async function bashComplete(words: string[]): Promise<string[]> {
  const script = [
    `source ${ROOT}packaging/completions/register-runner.bash`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    "_register_runner",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const out = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).output();
  equal(out.code, 0);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

Deno.test("bash completion offers each command's own options and the commands", async () => {
  equal((await bashComplete(["register-runner", "pl"])).join(" "), "plan");
  for (const command of COMMANDS) {
    const offered = await bashComplete(["register-runner", command, "--"]);
    const expected = optionsFor(command).map((o) => `--${o.name}`);
    equal(offered.sort().join(" "), expected.sort().join(" "), command);
  }
  equal((await bashComplete(["register-runner", "--output", ""])).join(" "), "text json");
  equal((await bashComplete(["register-runner", "help", "un"])).join(" "), "unregister");
});

Deno.test({
  name: "the zsh completion is valid zsh",
  ignore: !(await has("zsh")),
  fn: async () => {
    const out = await new Deno.Command("zsh", {
      args: ["-n", `${ROOT}packaging/completions/_register-runner`],
      stderr: "piped",
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
  },
});

Deno.test("help help is the overview, not an unknown command", async () => {
  const r = await cli(["help", "help"]);
  equal(r.code, 0, r.stderr);
  equal(r.stdout, (await cli(["--help"])).stdout);
  equal(r.stderr, "");
});

Deno.test("an option the command has no use for is a usage error, never silently ignored", async () => {
  const refused: [string[], RegExp][] = [
    [["check", "--timeout", "5"], /--timeout does not apply to check: check contacts no GitLab/],
    [["check", "--concurrency=2"], /--concurrency does not apply to check/],
    [["check", "--lock-timeout", "5"], /--lock-timeout does not apply to check/],
    [["check", "--strict"], /--strict does not apply to check/],
    [["plan", "--strict"], /--strict does not apply to plan: plan always fails \(exit 5\)/],
    [["plan", "--lock-timeout", "9"], /--lock-timeout does not apply to plan: plan takes no lock/],
    [["unregister", "--strict"], /--strict does not apply to unregister/],
    [["-q", "check", "--timeout=1"], /--timeout does not apply to check/],
  ];
  for (const [args, expected] of refused) {
    const r = await cli(args);
    equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(r.stderr, expected);
    match(r.stderr, /fix: remove --/);
  }
  // What they apply to, in every spelling, still parses.
  const accepted = [
    ["plan", "--timeout", "5", "--concurrency", "2"],
    ["unregister", "--timeout=5", "--lock-timeout", "3", "--concurrency=4"],
    ["sync", "--strict", "--timeout", "5", "--lock-timeout", "3", "--concurrency", "2"],
    ["check", "--tag-schema", "s.json", "-q"],
  ];
  for (const args of accepted) equal(parseCli(args).command, args[0]);
});

Deno.test("a negative number is a wrong value, not a missing one", async () => {
  for (
    const [args, expected] of [
      [["--timeout", "-5"], /--timeout takes a positive number of seconds, not "-5"/],
      [["plan", "--timeout=-5"], /--timeout takes a positive number of seconds, not "-5"/],
      [["--lock-timeout", "-1.5"], /--lock-timeout takes a positive number of seconds, not "-1.5"/],
      [["--concurrency", "-3"], /--concurrency takes a whole number from 1 to 256, not "-3"/],
      [["--timeout", "-v"], /--timeout needs a value/],
    ] as [string[], RegExp][]
  ) {
    const r = await cli(args);
    equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(r.stderr, expected);
  }
});

Deno.test("ENVIRONMENT names every variable the code reads", async () => {
  const names = ENVIRONMENT.flatMap((e) => e.name.split(", "));
  const sources = [`${ROOT}main.ts`];
  for await (const entry of Deno.readDir(`${ROOT}src`)) {
    if (!entry.isDirectory) continue;
    for await (const file of Deno.readDir(`${ROOT}src/${entry.name}`)) {
      if (file.name.endsWith(".ts") && !file.name.endsWith("_test.ts")) {
        sources.push(`${ROOT}src/${entry.name}/${file.name}`);
      }
    }
  }
  const read = new Set<string>();
  for (const path of sources) {
    const text = await Deno.readTextFile(path);
    for (const m of text.matchAll(/(?:getEnv|Deno\.env\.get)\(\s*"([A-Z_]+)"/g)) read.add(m[1]!);
    for (const m of text.matchAll(/_ENV = "([A-Z_]+)"/g)) read.add(m[1]!);
  }
  ok(read.size >= 5, [...read].join(" "));
  for (const name of read) ok(names.includes(name), `ENVIRONMENT lacks ${name}`);
  for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"]) ok(names.includes(name), name);
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  for (const name of read) ok(readme.includes(name), `README lacks ${name}`);
});
