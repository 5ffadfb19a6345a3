import { strictEqual as assertEquals } from "node:assert/strict";
import { DENO_RUN_CLI } from "./support/cli.ts";

Deno.test("--version prints the version deno.json declares (its one source)", async () => {
  const declared = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const [program, ...args] = DENO_RUN_CLI;
  const out = await new Deno.Command(program!, { args: [...args, "--version"], stdin: "null" })
    .output();
  assertEquals(out.code, 0);
  assertEquals(new TextDecoder().decode(out.stdout).trim(), `register-runner ${declared.version}`);
});
