/**
 * Running register-runner from source: `deno task run` grants exactly the permissions main.ts's
 * shebang grants (and the compiled binary has baked in), and it runs the CLI.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { PERMISSIONS } from "../scripts/compile.ts";
import { ROOT } from "./support/cli.ts";

/** The `--allow-*` / `--deny-*` flags of a command line, sorted. */
function permissionFlags(commandLine: string): string[] {
  return commandLine.split(/\s+/).filter((w) => /^--(allow|deny)-/.test(w)).sort();
}

async function taskRun(): Promise<string> {
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task = deno.tasks.run as string;
  ok(typeof task === "string", "deno.json has a run task");
  return task;
}

Deno.test("deno task run: the shebang's permissions, no more, no fewer, and main.ts", async () => {
  const task = await taskRun();
  const shebang = (await Deno.readTextFile(`${ROOT}main.ts`)).split("\n")[0]!;
  match(shebang, /^#!\/usr\/bin\/env -S deno run /);
  deepEqual(permissionFlags(task), permissionFlags(shebang));
  deepEqual(permissionFlags(task), [...PERMISSIONS].sort(), "the compiled binary's too");
  ok(!/--allow-all|\s-A(\s|$)/.test(task), "no blanket permission");
  match(task, /^deno run .* main\.ts$/);
});

Deno.test("deno task run --version runs the CLI from source", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "run", "--version"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  match(new TextDecoder().decode(out.stdout), /^register-runner \d+\.\d+\.\d+\n$/);
});
