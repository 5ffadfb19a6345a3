/**
 * End-to-end: host facts (CPU, scheduler), the tag schema and capture programs, through the real
 * CLI against the fake GitLab. Fact changes must reach GitLab as tag updates in place (PUT).
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, ROOT, runCli, type RunResult } from "./support/cli.ts";
import { ownRunners, withSetup } from "./support/e2e.ts";
import type { Prefix } from "./support/prefix.ts";
import { tempDir } from "./support/temp.ts";

const CPUINFO = `${ROOT}tests/fixtures/cpuinfo/`;
const SCHEMA = `${ROOT}examples/tag_schema.json`;
const ROME = `${CPUINFO}amd-epyc-7742-rome.txt`;
const MILAN = `${CPUINFO}amd-epyc-7413-milan.txt`;

/** A temporary directory holding fake scheduler commands, for `PATH`. */
async function binWith(commands: string[]): Promise<string> {
  const dir = await tempDir("bin");
  for (const c of commands) {
    await Deno.writeTextFile(`${dir}/${c}`, "#!/bin/sh\nexit 0\n");
    await Deno.chmod(`${dir}/${c}`, 0o755);
  }
  return dir;
}

function hostEnv(cpuinfo: string, path: string, extra: Record<string, string> = {}) {
  return {
    REGISTER_RUNNER_CPUINFO: cpuinfo,
    REGISTER_RUNNER_MACHINE: "x86_64",
    PATH: path,
    ...extra,
  };
}

async function writeSite(gitlab: FakeGitLab, prefix: Prefix, batchExtra = "facts = true\n") {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }]);
  await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
  await prefix.writeExecutor(
    "batch",
    `url = "${gitlab.url}"\nexecutor = "custom"\nenv_tags = ["SYS_TYPE"]\n${batchExtra}` +
      '[custom]\nrun_exec = "/opt/jacamar/run"\n',
  );
}

function tagsOf(gitlab: FakeGitLab, word: string): string[] {
  const runner = ownRunners(gitlab).find((r) => r.description.includes(word));
  ok(runner, `a runner for ${word}`);
  return [...runner.tag_list].sort();
}

function expectOk(result: RunResult): void {
  equal(result.code, 0, `exit 0 expected; stderr:\n${result.stderr}`);
}

Deno.test("facts are opt-in: without `facts` or a schema the tags are as before", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, "");
    expectOk(
      await runCli(prefix, [], hostEnv(ROME, await binWith(["sbatch"]), { SYS_TYPE: "toss_4" })),
    );
    deepEqual(tagsOf(gitlab, "custom"), [HOST, "custom", "main", "toss_4"].sort());
    deepEqual(tagsOf(gitlab, "shell"), [HOST, "main", "shell"].sort());
  });
});

Deno.test("new CPU flags and a new scheduler update the tags in place, same runner id", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix);
    const slurm = await binWith(["sbatch", "srun"]);
    expectOk(await runCli(prefix, [], hostEnv(ROME, slurm)));
    const before = ownRunners(gitlab).find((r) => r.description.includes("custom"))!;
    deepEqual(
      tagsOf(gitlab, "custom"),
      [HOST, "main", "custom", "x86_64", "zen2", "zen", "x86_64_v3", "x86_64_v2", "slurm"].sort(),
    );
    deepEqual(tagsOf(gitlab, "shell"), [HOST, "main", "shell"].sort());

    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix, [], hostEnv(MILAN, await binWith(["bsub"]))));
    const after = ownRunners(gitlab).find((r) => r.description.includes("custom"))!;
    equal(after.id, before.id, "same runner");
    deepEqual(
      tagsOf(gitlab, "custom"),
      [HOST, "main", "custom", "x86_64", "zen3", "zen2", "zen", "x86_64_v3", "x86_64_v2", "lsf"]
        .sort(),
    );
    const changes = gitlab.mutations().filter((m) => gitlab.requests.indexOf(m) >= seen);
    deepEqual(changes.map((m) => `${m.method} ${m.path}`), [`PUT /runners/${before.id}`]);
    equal(ownRunners(gitlab).length, 2);
  });
});

Deno.test("tag schema: a host that breaks it fails with exit 3 under --strict, naming property, rule and file", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, "");
    const result = await runCli(
      prefix,
      ["--tag-schema", SCHEMA, "--strict"],
      hostEnv(ROME, await binWith([]), { SYS_TYPE: "toss_4" }),
    );
    equal(result.code, 3, result.stderr);
    match(
      result.stderr,
      /batch\.toml: the tag properties do not satisfy the tag schema .*examples\/tag_schema\.json/,
    );
    match(
      result.stderr,
      /required property "scheduler" is missing \(rule: required at #\/then\/required\)/,
    );
    ok(!result.stderr.includes("    at "), "no stack trace");
    equal(await prefix.readOutput(), undefined, "no config written");
    deepEqual(gitlab.mutations(), []);
  });
});

Deno.test("tag schema: env values fill enum properties or become custom_ tags; facts by schema", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, "");
    await prefix.writeFile("schema.json", await Deno.readTextFile(SCHEMA));
    const result = await runCli(
      prefix,
      ["--tag-schema", `${prefix.dir}/schema.json`],
      hostEnv(MILAN, await binWith(["flux"]), { SYS_TYPE: "toss_4", SITE: "ib" }),
    );
    expectOk(result);
    // The schema declares architecture, micro-architecture and scheduler: those facts are tags.
    deepEqual(
      tagsOf(gitlab, "custom"),
      [
        HOST,
        "main",
        "custom",
        "toss_4",
        "x86_64",
        "zen3",
        "zen2",
        "zen",
        "x86_64_v3",
        "x86_64_v2",
        "flux",
      ]
        .sort(),
    );
    await prefix.writeExecutor(
      "shell",
      `url = "${gitlab.url}"\nexecutor = "shell"\nenv_tags = ["SITE"]\nfacts = ["architecture", "microarchitecture"]\n`,
    );
    expectOk(
      await runCli(
        prefix,
        ["--tag-schema", `${prefix.dir}/schema.json`],
        hostEnv(MILAN, await binWith(["flux"]), { SYS_TYPE: "toss_4", SITE: "ib" }),
      ),
    );
    deepEqual(
      tagsOf(gitlab, "shell"),
      [HOST, "main", "shell", "ib", "custom_ib", "x86_64", "zen3"].sort(),
    );
  });
});

Deno.test("capture program: its JSON output becomes tags; a failure stops the run with exit 3", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, "");
    const program = `${ROOT}examples/capture/capture-tags.py`;
    expectOk(
      await runCli(prefix, ["--capture-tags", program], hostEnv(ROME, Deno.env.get("PATH") ?? "")),
    );
    ok(tagsOf(gitlab, "shell").includes(HOST.replace(/\d+$/, "")), "clustername from the example");

    await prefix.writeFile("bad-capture", "#!/bin/sh\necho 'no inventory service' >&2\nexit 4\n");
    await Deno.chmod(`${prefix.dir}/bad-capture`, 0o700);
    const seen = gitlab.requests.length;
    const before = await prefix.readOutput();
    const failed = await runCli(
      prefix,
      ["--capture-tags", `${prefix.dir}/bad-capture`],
      hostEnv(ROME, ""),
    );
    equal(failed.code, 3, failed.stderr);
    match(
      failed.stderr,
      /bad-capture \(executor file (batch|shell)\) exited with status 4; the end of its stderr:\nerror: no inventory service/,
    );
    equal(await prefix.readOutput(), before);
    deepEqual(gitlab.mutations().filter((m) => gitlab.requests.indexOf(m) >= seen), []);
  });
});
