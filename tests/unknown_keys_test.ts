/**
 * End-to-end: a key gitlab-runner's schema does not know (a typo, or a key newer than the embedded
 * schema) fails `check` and `sync` with exit 3, naming the file, key and line with a suggestion,
 * and leaves config.toml and GitLab untouched; `allow_unknown_keys` lets a newer key through. In
 * an executor file the problem is that file's own: `sync` fails under `--strict`, and without it
 * quarantines the file (exit 0, a warning, its runner and section left as they were).
 */

import { deepEqual, doesNotMatch, equal, match } from "node:assert/strict";
import { parse } from "smol-toml";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { runCli, type RunResult } from "./support/cli.ts";
import { withSetup } from "./support/e2e.ts";
import type { Prefix } from "./support/prefix.ts";

const GLOBALS = "concurrent = 4\ncheck_interval = 0\n";

async function writeInputs(
  gitlab: FakeGitLab,
  prefix: Prefix,
  options: { globals?: string; docker?: string } = {},
): Promise<void> {
  await prefix.writeTemplate(
    [{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }],
    options.globals ?? GLOBALS,
  );
  await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
  await prefix.writeExecutor(
    "docker",
    options.docker ?? `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`,
  );
}

function expectExit(result: RunResult, code: number): void {
  equal(result.code, code, `exit ${code} expected; stderr:\n${result.stderr}`);
}

/**
 * Syncs the good inputs, applies `breakIt`, then asserts `check` and `sync --strict` both exit 3
 * with an error matching `expected`, and that sync changed neither config.toml nor GitLab. Plain
 * `sync` exits 3 too, or, when the problem is `confined` to an executor file, 0 with a warning.
 */
async function expectRefused(
  breakIt: (gitlab: FakeGitLab, prefix: Prefix) => Promise<void>,
  expected: RegExp,
  confined = false,
): Promise<string> {
  let stderr = "";
  await withSetup({}, async (gitlab, prefix) => {
    await writeInputs(gitlab, prefix);
    expectExit(await runCli(prefix, ["sync"]), 0);
    const config = await prefix.readOutput();
    const mutations = gitlab.mutations().length;
    await breakIt(gitlab, prefix);
    for (const args of [["check"], ["sync", "--strict"]]) {
      const result = await runCli(prefix, args);
      expectExit(result, 3);
      match(result.stderr, expected, `${args.join(" ")}:\n${result.stderr}`);
      stderr = result.stderr;
    }
    equal(await prefix.readOutput(), config, "config.toml untouched");
    equal(gitlab.mutations().length, mutations, "nothing changed in GitLab");
    const plain = await runCli(prefix, ["sync"]);
    expectExit(plain, confined ? 0 : 3);
    match(plain.stderr, expected, `sync:\n${plain.stderr}`);
    if (confined) match(plain.stderr, /^warn: .*left as it was/m);
    equal(await prefix.readOutput(), config, "config.toml byte-identical");
    equal(gitlab.mutations().length, mutations, "nothing changed in GitLab");
  });
  return stderr;
}

const docker = (gitlab: FakeGitLab, extra: string, table = "") =>
  `url = "${gitlab.url}"\nexecutor = "docker"\n${extra}[docker]\nimage = "alpine:3"\n${table}`;

Deno.test("unknown key: tag = [...] in an executor file (did you mean tags)", async () => {
  await expectRefused(
    (gitlab, prefix) => writeInputs(gitlab, prefix, { docker: docker(gitlab, 'tag = ["gpu"]\n') }),
    /docker\.toml: key `tag` \(line 3\): unknown key: gitlab-runner v[\d.]+ has no `runners\.tag`\. Did you mean `tags`\?/,
    true,
  );
});

Deno.test("unknown key: build_dir in an executor file (did you mean builds_dir)", async () => {
  await expectRefused(
    (gitlab, prefix) =>
      writeInputs(gitlab, prefix, { docker: docker(gitlab, 'build_dir = "/builds"\n') }),
    /docker\.toml: key `build_dir` \(line 3\): unknown key.*Did you mean `builds_dir`\?/,
    true,
  );
});

Deno.test("unknown key: a typo inside [docker] is found too", async () => {
  await expectRefused(
    (gitlab, prefix) =>
      writeInputs(gitlab, prefix, { docker: docker(gitlab, "", "privilegd = true\n") }),
    /docker\.toml: key `docker\.privilegd` \(line 5\): unknown key: gitlab-runner v[\d.]+ has no `runners\.docker\.privilegd`\. Did you mean `privileged`\?/,
    true,
  );
});

Deno.test("unknown key: concurent = 4 in the template (did you mean concurrent)", async () => {
  await expectRefused(
    (gitlab, prefix) => writeInputs(gitlab, prefix, { globals: "concurent = 4\n" }),
    /config\.template\.main\.toml: key `concurent` \(line 1\): unknown key.*Did you mean `concurrent`\?/,
  );
});

Deno.test("unknown key: [session_sever] in the template (did you mean session_server)", async () => {
  await expectRefused(
    (gitlab, prefix) =>
      writeInputs(gitlab, prefix, {
        globals: GLOBALS + '[session_sever]\nlisten_address = "0.0.0.0:8093"\n',
      }),
    /config\.template\.main\.toml: key `session_sever` \(line 3\): unknown key.*Did you mean `session_server`\?/,
  );
});

Deno.test('unknown key: exector = "shell" is reported on its line, not as a missing executor', async () => {
  const stderr = await expectRefused(
    (gitlab, prefix) => prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexector = "shell"\n`),
    /shell\.toml: key `exector` \(line 2\): unknown key.*Did you mean `executor`\?/,
    true,
  );
  doesNotMatch(stderr, /is missing/);
  match(stderr, /allow_unknown_keys = \["runners\.exector"\]/);
});

Deno.test("allow_unknown_keys: a key newer than the schema syncs into config.toml", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const newer = docker(gitlab, "", "shiny_new_option = true\n");
    await writeInputs(gitlab, prefix, { docker: newer });
    expectExit(await runCli(prefix, ["check"]), 3);
    equal(await prefix.readOutput(), undefined);
    await writeInputs(gitlab, prefix, {
      globals: 'allow_unknown_keys = ["runners.docker.shiny_new_option"]\n' + GLOBALS,
      docker: newer,
    });
    expectExit(await runCli(prefix, ["check"]), 0);
    const result = await runCli(prefix, ["sync"]);
    expectExit(result, 0);
    doesNotMatch(result.stderr, /unknown key|allow_unknown_keys/);
    const config = parse((await prefix.readOutput())!) as {
      allow_unknown_keys?: unknown;
      runners: { executor: string; docker?: Record<string, unknown> }[];
    };
    equal(config.allow_unknown_keys, undefined, "register-runner's own key stays out");
    const section = config.runners.find((r) => r.executor === "docker");
    deepEqual(section?.docker, { image: "alpine:3", shiny_new_option: true });
  });
});
