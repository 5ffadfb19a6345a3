/**
 * Messages an operator can act on: a missing secret names every place searched and what
 * `$CREDENTIALS_DIRECTORY` was; a 403 on listing does not suggest an auditor's token.
 */

import { doesNotMatch, equal, match, ok } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { EXECUTORS, withSetup, writeSite } from "./support/e2e.ts";
import { tempDir } from "./support/temp.ts";
import { startFakeGitLab } from "./support/fake_gitlab/server.ts";

Deno.test("a missing *_file secret names every place searched, as absolute paths", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeFile(
      "config.template.main.toml",
      `concurrent = 1\n\n[[client_configs]]\nurl = "${gitlab.url}"\npersonal_access_token_file = "gitlab-pat"\n`,
    );
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const credentials = await tempDir("creds");

    const set = await runCli(prefix, ["check"], { CREDENTIALS_DIRECTORY: credentials });
    equal(set.code, 3, set.stderr);
    const line = set.stderr.split("\n").find((l) => l.includes("gitlab-pat"))!;
    match(line, /^error: /);
    match(line, new RegExp(`${credentials}/gitlab-pat`));
    match(line, new RegExp(`${prefix.dir}/gitlab-pat`));
    match(line, /\$CREDENTIALS_DIRECTORY is \//);
    match(line, /on a manual run it is unset/);

    const unset = await runCli(prefix, ["check"]);
    equal(unset.code, 3, unset.stderr);
    match(unset.stderr, new RegExp(`${prefix.dir}/gitlab-pat`));
    match(unset.stderr, /\$CREDENTIALS_DIRECTORY is not set/);
  });
});

Deno.test("a 403 on listing asks for an administrator's token, not an auditor's", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    gitlab.addFault({
      kind: "status",
      method: "GET",
      path: "/runners/all",
      status: 403,
      body: '{"message":"403 Forbidden"}',
      times: Infinity,
    });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /administrator's token/);
    doesNotMatch(result.stderr, /\(or auditor's\) token/);
    match(result.stderr, /auditor's can list but not create/);
  });
});

/** Asserts that every non-empty line of `stderr` starts with `lead` (a level prefix). */
function everyLineStartsWith(stderr: string, lead: string): void {
  for (const line of stderr.split("\n").filter((l) => l !== "")) {
    ok(
      line.startsWith(lead),
      `line without the prefix ${JSON.stringify(lead)}: ${line}\n${stderr}`,
    );
  }
}

Deno.test("every stderr line of an error keeps its level prefix, the place on the first line", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexector = "shell"\n`);
    const text = await runCli(prefix, ["check"]);
    equal(text.code, 3, text.stderr);
    everyLineStartsWith(text.stderr, "error: ");
    const first = text.stderr.split("\n")[0]!;
    match(first, /shell\.toml/);
    match(first, /line 2/);
    match(first, /exector/);
    match(text.stderr, /^error: {3}fix: /m);

    const journald = await runCli(prefix, ["check"], { JOURNAL_STREAM: "8:1234" });
    equal(journald.code, 3, journald.stderr);
    everyLineStartsWith(journald.stderr, "<3>error: ");
    equal(journald.stderr.replaceAll("<3>", ""), text.stderr);

    const json = await runCli(prefix, ["check", "--log-format", "json"]);
    equal(json.stderr.trimEnd().split("\n").length, 1, json.stderr);
    const record = JSON.parse(json.stderr);
    equal(record.level, "error");
    match(record.file, /shell\.toml$/);
    equal(record.line, 2);
  });
});

Deno.test("several input problems: each numbered with its place and fix, every line prefixed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell", "cpu"]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexector = "shell"\n`);
    await prefix.writeExecutor("cpu", `url = "${gitlab.url}"\nexecutor = "docker"\ntag = []\n`);
    const result = await runCli(prefix, ["check"]);
    equal(result.code, 3, result.stderr);
    everyLineStartsWith(result.stderr, "error: ");
    match(result.stderr, /^error: 2 problems in the input files:$/m);
    match(result.stderr, /^error: {3}1\. .*cpu\.toml.*line 3/m);
    match(result.stderr, /^error: {3}2\. .*shell\.toml.*line 2/m);
  });
});

Deno.test("sync's report says what was done: registered, kept, updated, restored, deleted", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell", "cpu", "gpu"]);
    const first = await runCli(prefix);
    equal(first.code, 0, first.stderr);
    match(first.stdout, /^ {2}registered +node7 main shell Runner \(#\d+\)/m);
    doesNotMatch(first.stdout, /^ {2}register /m);

    const again = await runCli(prefix);
    equal(again.code, 0, again.stderr);
    match(again.stdout, /^ {2}kept +node7 main shell Runner \(#\d+\)$/m);
    doesNotMatch(again.stdout, /^ {2}keep /m);

    const shell = gitlab.runners().find((r) => r.description === "node7 main shell Runner")!;
    gitlab.revokeToken(shell.id);
    await prefix.writeExecutor(
      "cpu",
      `url = "${gitlab.url}"\nexecutor = "docker"\npaused = true\n[docker]\nimage = "alpine:3"\n`,
    );
    await Deno.remove(`${prefix.dir}/main/gpu.toml`);
    const changed = await runCli(prefix);
    equal(changed.code, 0, changed.stderr);
    match(
      changed.stdout,
      /^ {2}restored \(token reset\) +node7 main shell Runner \(#\d+\): local token rejected/m,
    );
    match(
      changed.stdout,
      /^ {2}updated +node7 main docker Runner \(#\d+\): .*paused: false → true/m,
    );
    match(changed.stdout, /^ {2}deleted +node7 main docker gpu Runner \(#\d+\): no executor file/m);
    doesNotMatch(changed.stdout, /^ {2}(restore|delete|update) /m);

    // plan keeps its future tense
    await prefix.writeExecutor("gpu", EXECUTORS.gpu!.body.replaceAll("URL", gitlab.url));
    const plan = await runCli(prefix, ["plan"]);
    equal(plan.code, 10, plan.stderr);
    match(plan.stdout, /^ {2}register +node7 main docker gpu Runner/m);
  });
});

Deno.test("GitLab down: one summary line per GitLab at the default level, the attempts with --verbose", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell", "cpu"]);
    equal((await runCli(prefix)).code, 0);
    gitlab.addFault({ kind: "status", status: 503, times: Infinity });
    // 503 is a throttle: retried for as long as --timeout allows (issue 14), so a short one.
    const result = await runCli(prefix, ["--timeout", "5"]);
    equal(result.code, 0, result.stderr);
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    // One line: the outage summary says how long GitLab throttled, no separate throttle warning.
    equal(lines.length, 1, result.stderr);
    match(
      lines[0]!,
      new RegExp(
        `^warn: ${gitlab.url} unreachable after \\d+ attempts over \\d+\\.\\d s \\(HTTP 503; ` +
          "throttled \\d+ times, requests held back \\d+\\.\\d s\\); .*" +
          "kept the last good config for 2 runner\\(s\\)",
      ),
    );
    const attempts = Number(/after (\d+) attempts/.exec(lines[0]!)![1]);
    ok(attempts >= 5, `every request's attempts are counted: ${attempts}`);
    equal(Number(/throttled (\d+) times/.exec(lines[0]!)![1]), attempts, "each was a 503");

    const verbose = await runCli(prefix, ["--verbose", "--timeout", "5"]);
    equal(verbose.code, 0, verbose.stderr);
    match(verbose.stderr, /^debug: GitLab .* 503: .*; retrying in /m);
    match(verbose.stderr, /^warn: .* unreachable after \d+ attempts/m);
  });
});

Deno.test("GitLab refusing connections: the summary names the cause in a few words", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    equal((await runCli(prefix)).code, 0);
    await gitlab.close();
    const result = await runCli(prefix, [], { JOURNAL_STREAM: "8:1" });
    equal(result.code, 0, result.stderr);
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    equal(lines.length, 1, result.stderr);
    match(
      lines[0]!,
      /^<4>warn: \S+ unreachable after \d+ attempts over [\d.]+ s \(connection refused\); kept/,
    );
  });
});

Deno.test("plan shows a new runner's tags and attributes, and how it would be registered", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["gpu"]);
    await prefix.writeExecutor(
      "gpu",
      `url = "${gitlab.url}"\nexecutor = "docker"\ntags = ["gpu"]\nlocked = true\nmaximum_timeout = 7200\n[docker]\nimage = "cuda"\n`,
    );
    const pat = await runCli(prefix, ["plan"]);
    equal(pat.code, 10, pat.stderr);
    const row = pat.stdout.split("\n").find((l) => /^ {2}register /.test(l))!;
    match(row, /tags node7,main,docker,gpu;/);
    match(row, /run_untagged: false, locked: true, paused: false, maximum_timeout: 7200/);
    match(row, /with the personal access token \(POST \/user\/runners\)$/);
    match(pat.stdout, /^\+ {2}token = "\[new token: personal access token\]"$/m);
    doesNotMatch(pat.stdout, /new token: registration/);

    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    const legacy = await runCli(prefix, ["plan"]);
    equal(legacy.code, 10, legacy.stderr);
    match(
      legacy.stdout,
      /^ {2}register .*with the registration token \(POST \/runners; GitLab 17\.0\+ refuses it/m,
    );
    match(legacy.stdout, /^\+ {2}token = "\[new token: registration token\]"$/m);
    const json = JSON.parse((await runCli(prefix, ["plan", "--output", "json"])).stdout);
    equal(json.clients[0].steps[0].action, "register");
  });
});

Deno.test("a 401 names the client_configs entry and where its token was read", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const other = await startFakeGitLab({});
    try {
      const wrong = "glpat-wrong-but-well-formed";
      await prefix.writeFile("gitlab-pat", `${wrong}\n`);
      const template = (second: string) =>
        `concurrent = 1\n\n[[client_configs]]\nurl = "${gitlab.url}"\n` +
        `personal_access_token = "${gitlab.tokens.adminPat}"\n\n` +
        `[[client_configs]]\nurl = "${other.url}"\n${second}\n`;
      await prefix.writeFile(
        "config.template.main.toml",
        template('personal_access_token_file = "gitlab-pat"'),
      );
      await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
      await prefix.writeExecutor(
        "batch",
        `url = "${other.url}"\nexecutor = "custom"\n[custom]\nrun_exec = "/bin/true"\n`,
      );
      const file = await runCli(prefix);
      equal(file.code, 4, file.stderr);
      const first = file.stderr.split("\n").find((l) => / with 401/.test(l))!;
      match(first, new RegExp(`^error: GitLab ${other.url} answered .* with 401`));
      match(
        first,
        /config\.template\.main\.toml, line 9, key client_configs\[1\]\.personal_access_token_file\)$/,
      );
      match(
        file.stderr,
        new RegExp(`^error: {3}fix: .*read from the file ${prefix.dir}/gitlab-pat\\)$`, "m"),
      );
      ok(!file.stderr.includes(wrong), "the token itself is never printed");

      const credentials = await tempDir("creds");
      await Deno.writeTextFile(`${credentials}/gitlab-pat`, `${wrong}\n`, { mode: 0o600 });
      const viaSystemd = await runCli(prefix, [], { CREDENTIALS_DIRECTORY: credentials });
      equal(viaSystemd.code, 4, viaSystemd.stderr);
      match(viaSystemd.stderr, /read from \$CREDENTIALS_DIRECTORY\/gitlab-pat \(/);

      await prefix.writeFile(
        "config.template.main.toml",
        template(`personal_access_token = "${wrong}"`),
      );
      const inline = await runCli(prefix);
      equal(inline.code, 4, inline.stderr);
      match(inline.stderr, /line 9, key client_configs\[1\]\.personal_access_token\)$/m);
      match(inline.stderr, /read from the template itself \(inline personal_access_token\)\)$/m);
      ok(!inline.stderr.includes(wrong), "the token itself is never printed");
    } finally {
      await other.close();
    }
  });
});
