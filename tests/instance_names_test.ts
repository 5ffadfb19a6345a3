/**
 * Instance names whose files would collide with another instance's are refused: the rule against
 * every per-instance path the tool uses, and the CLI on a prefix where `template.main` would write
 * over instance `main`'s template.
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { INSTANCE_NAME, instanceNameCollision } from "../src/inputs/site.ts";
import { journalPath } from "../src/runner_config/journal.ts";
import { lockPath } from "../src/runner_config/lock.ts";
import { probePath } from "../src/runner_config/recordable.ts";
import { tornCopyName } from "../src/runner_config/torn_copy.ts";
import { runCli } from "./support/cli.ts";
import { expectOk, withSetup, writeSite } from "./support/e2e.ts";
import { Prefix } from "./support/prefix.ts";

/** Every path (relative to the prefix) instance `x` may create or read, with sample variable parts. */
function pathsOf(x: string): string[] {
  const dir = "/p";
  const rel = (p: string) => p.slice(dir.length + 1);
  const journal = rel(journalPath(dir, x));
  return [
    `config.template.${x}.toml`,
    `config.${x}.toml`,
    `${x}`, // the executor directory
    `.config.${x}.toml.tmp-123-abcdef`,
    tornCopyName(`config.${x}.toml`, new Date("2025-01-02T03:04:05Z")),
    rel(lockPath(dir, x)),
    journal,
    `.${journal}.tmp-123-abcdef`,
    rel(probePath(dir, x, "123-abcdef")),
  ];
}

const SAMPLES = [
  "main",
  "gpu",
  "gpu.v100",
  "template",
  "config",
  "x.lock",
  "main.journal",
  "main.lock",
  "toml",
  "config.gpu",
  "main.toml",
  "main.toml.torn-20250102T030405Z",
  "template.main",
  "template.gpu.v100",
  "config.main.toml",
  "config.template.main.toml",
  "config.toml",
  "config.main.toml.torn-20250102T030405Z",
  "main.probe-123-abcdef",
];

Deno.test("instance names: two accepted names never share a path; every refused one would", () => {
  const accepted = SAMPLES.filter((s) =>
    INSTANCE_NAME.test(s) && instanceNameCollision(s) === undefined
  );
  for (const a of accepted) {
    for (const b of accepted) {
      if (a === b) continue;
      const shared = pathsOf(a).filter((p) => pathsOf(b).includes(p));
      equal(shared.length, 0, `"${a}" and "${b}" share ${shared.join(", ")}`);
    }
  }
  for (const name of ["gpu.v100", "template", "config", "main.toml", "x.lock", "main.journal"]) {
    ok(accepted.includes(name), `${name} stays valid`);
  }
  // A refused name collides with the name it was derived from.
  const collides = (x: string, y: string) => pathsOf(x).some((p) => pathsOf(y).includes(p));
  ok(collides("template.main", "main"));
  ok(collides("template.gpu.v100", "gpu.v100"));
  ok(collides("config.main.toml", "main"));
  ok(collides("config.template.main.toml", "main"));
  ok(collides("config.main.toml.torn-20250102T030405Z", "main"));
  for (const name of SAMPLES.filter((s) => !accepted.includes(s))) {
    ok(instanceNameCollision(name), `${name} is refused`);
  }
});

Deno.test("CLI: --service-instance template.main is refused (exit 3) and main's template is untouched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const template = await Deno.readTextFile(prefix.templateFile);
    // What instance template.main would read as its own template, and its executor directory.
    await prefix.writeFile("config.template.template.main.toml", template);
    await prefix.writeFile(
      "template.main/shell.toml",
      `url = "${gitlab.url}"\nexecutor = "shell"\n`,
    );
    for (const instance of ["template.main", "config.main.toml"]) {
      const result = await runCli(prefix, ["--service-instance", instance]);
      equal(result.code, 3, result.stderr);
      match(result.stderr, new RegExp(`service instance name "${instance}" cannot be used`));
    }
    match(
      (await runCli(prefix, ["--service-instance", "template.main"])).stderr,
      /is the template of instance "main"/,
    );
    equal(await Deno.readTextFile(prefix.templateFile), template, "main's template untouched");
    equal(gitlab.mutations().length, 0, "GitLab untouched");
  });
});

Deno.test("CLI: an instance named gpu.v100 still syncs", async () => {
  await withSetup({}, async (gitlab) => {
    const prefix = await Prefix.create({ instance: "gpu.v100", executors: {} });
    try {
      await writeSite(gitlab, prefix, ["shell"]);
      expectOk(await runCli(prefix), gitlab);
      ok(
        (await Deno.readTextFile(join(prefix.dir, "config.gpu.v100.toml"))).includes("[[runners]]"),
      );
    } finally {
      await prefix.cleanup();
    }
  });
});
