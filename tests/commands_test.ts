/**
 * End-to-end: the operator commands (plan, check, unregister), `--output json`, log formats under
 * systemd, systemd credentials, and the documented exit codes.
 */

import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import type { JsonDocument } from "../src/commands/output.ts";
import { HELP } from "../src/cli/options.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, ROOT, runCli, type RunResult } from "./support/cli.ts";
import { assertNoSecrets, secretsOf, withSetup } from "./support/e2e.ts";
import { Prefix } from "./support/prefix.ts";

async function standardPrefix(gitlab: FakeGitLab, prefix: Prefix): Promise<void> {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }]);
  await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
  await prefix.writeExecutor(
    "docker",
    `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`,
  );
}

function own(gitlab: FakeGitLab) {
  return gitlab.runners().filter((r) => r.description.startsWith(`${HOST} main `));
}

function expectCode(result: RunResult, code: number, gitlab: FakeGitLab): void {
  equal(
    result.code,
    code,
    `exit ${code} expected; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
  assertNoSecrets(result.stdout + result.stderr, secretsOf(gitlab));
}

function json(result: RunResult): JsonDocument {
  const lines = result.stdout.trim().split("\n");
  equal(lines.length, 1, `one JSON document on one line:\n${result.stdout}`);
  return JSON.parse(lines[0]!) as JsonDocument;
}

/** Every file under `dir` (hidden ones too) with its mode and bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      const info = await Deno.lstat(full);
      if (entry.isDirectory) {
        out.set(full, `dir ${info.mode}`);
        await walk(full);
      } else {
        const bytes = await Deno.readFile(full);
        out.set(full, `${info.mode} ${info.mtime?.getTime()} ${bytes.join(",")}`);
      }
    }
  };
  await walk(dir);
  return out;
}

/** Runs the CLI and asserts it wrote no file and made no change in GitLab. */
async function readOnly(
  gitlab: FakeGitLab,
  prefix: Prefix,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const before = await snapshot(prefix.dir);
  const mutations = gitlab.mutations().length;
  const seen = gitlab.requests.length;
  const result = await runCli(prefix, args, env);
  deepEqual(await snapshot(prefix.dir), before, `${args.join(" ")} wrote nothing`);
  equal(gitlab.mutations().length, mutations, `${args.join(" ")} changed nothing in GitLab`);
  for (const r of gitlab.requests.slice(seen)) {
    ok(
      r.method === "GET" || (r.method === "POST" && r.path === "/runners/verify"),
      `${args.join(" ")} sent only reads: ${r.method} ${r.path}`,
    );
  }
  return result;
}

Deno.test("plan on a fresh host: registrations and the config to write, nothing done (exit 10)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const result = await readOnly(gitlab, prefix, ["plan"]);
    expectCode(result, 10, gitlab);
    match(result.stdout, /register\s+node7 main docker Runner\s+-\s+no runner yet/);
    match(result.stdout, /register\s+node7 main shell Runner/);
    match(result.stdout, /^\+\+\+ .*config\.main\.toml \(planned\)$/m);
    match(result.stdout, /^\+ {2}token = "\[new token: personal access token\]"$/m);
    match(result.stdout, /plan: changes pending/);
    deepEqual(own(gitlab), []);
    equal(await prefix.readOutput(), undefined);
  });
});

Deno.test("plan after a sync: nothing to do (exit 0), read-only, tokens never shown", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectCode(await runCli(prefix), 0, gitlab);
    const result = await readOnly(gitlab, prefix, ["plan"]);
    expectCode(result, 0, gitlab);
    match(result.stdout, /keep\s+node7 main docker Runner\s+#\d+/);
    match(result.stdout, /config: unchanged/);
    match(result.stdout, /plan: nothing to do/);
    ok(!/^[-+]/m.test(result.stdout), "no diff");

    const doc = json(await readOnly(gitlab, prefix, ["plan", "--output", "json"]));
    equal(doc.exit_code, 0);
    equal(doc.ok, true);
    deepEqual(doc.config, { path: prefix.outputFile, status: "unchanged", diff: "" });
    deepEqual(doc.clients[0]!.steps.map((s) => s.action), ["keep", "keep"]);
  });
});

Deno.test("plan shows update, restore and delete, and sync then does exactly that", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    await prefix.writeExecutor(
      "batch",
      `url = "${gitlab.url}"\nexecutor = "custom"\n[custom]\nrun_exec = "/usr/bin/true"\n`,
    );
    expectCode(await runCli(prefix), 0, gitlab);
    const shell = own(gitlab).find((r) => r.description.includes("shell"))!;
    const docker = own(gitlab).find((r) => r.description.includes("docker"))!;
    await prefix.writeExecutor(
      "shell",
      `url = "${gitlab.url}"\nexecutor = "shell"\ntags = ["new"]\nlocked = true\n`,
    );
    gitlab.revokeToken(docker.id);
    await prefix.removeExecutor("batch");

    const planned = json(await readOnly(gitlab, prefix, ["plan", "--output", "json"]));
    equal(planned.exit_code, 10);
    const client = planned.clients[0]!;
    equal(client.status, "planned");
    const byRunner = Object.fromEntries(client.steps.map((s) => [s.runner, s]));
    deepEqual(byRunner[shell.description], {
      action: "update",
      runner: shell.description,
      file: "shell",
      id: shell.id,
      reason: "attributes differ: tag_list, locked",
      update: {
        tag_list: { from: shell.tag_list, to: [HOST, "main", "shell", "new"] },
        locked: { from: false, to: true },
      },
    });
    equal(byRunner[docker.description]!.action, "restore");
    equal(byRunner[docker.description]!.id, docker.id);
    deepEqual(client.deletions.map((d) => [d.runner, d.by, d.reason]), [
      [`${HOST} main custom Runner`, "id", "no executor file"],
    ]);
    equal(planned.config!.status, "would-change");
    match(planned.config!.diff!, /^- {2}token = "\[redacted\]"$/m);
    match(planned.config!.diff!, /^\+ {2}token = "\[new token: reset\]"$/m);
    match(planned.config!.diff!, /^- {2}name = "node7 main custom Runner"$/m);

    const synced = json(await runCli(prefix, ["--output", "json"]));
    equal(synced.command, "sync");
    equal(synced.config!.status, "written");
    deepEqual(synced.clients[0]!.steps, client.steps, "sync did what plan said");
    deepEqual(synced.clients[0]!.deletions, client.deletions);
    const after = await readOnly(gitlab, prefix, ["plan"]);
    expectCode(after, 0, gitlab);
  });
});

Deno.test("plan: an unreachable GitLab makes the plan incomplete (exit 5), still read-only", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectCode(await runCli(prefix), 0, gitlab);
    await gitlab.close();
    const before = await snapshot(prefix.dir);
    const result = await runCli(prefix, ["plan", "--timeout", "1", "--output", "json"]);
    equal(result.code, 5, result.stderr);
    const doc = json(result);
    equal(doc.clients[0]!.status, "unreachable");
    match(doc.error!.message, /could not be reached/);
    match(result.stderr, /^error: GitLab .* could not be reached/m);
    deepEqual(await snapshot(prefix.dir), before);
  });
});

Deno.test("check validates offline: no request, no file; bad input exits 3 in house style", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const result = await readOnly(gitlab, prefix, ["check"]);
    expectCode(result, 0, gitlab);
    equal(gitlab.requests.length, 0, "check made no request");
    match(result.stdout, /inputs are valid/);
    match(result.stdout, /shell\s+node7 main shell Runner\s+node7,main,shell/);

    const doc = json(await readOnly(gitlab, prefix, ["check", "--output", "json"]));
    equal(doc.command, "check");
    deepEqual(doc.config, { path: prefix.outputFile, status: "absent" });
    deepEqual(doc.runners!.map((r) => [r.file, r.runner, r.url]), [
      ["docker", `${HOST} main docker Runner`, gitlab.url],
      ["shell", `${HOST} main shell Runner`, gitlab.url],
    ]);

    await gitlab.close(); // still valid without any GitLab
    expectCode(await readOnly(gitlab, prefix, ["check"]), 0, gitlab);

    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = \n`);
    const bad = await readOnly(gitlab, prefix, ["check"]);
    expectCode(bad, 3, gitlab);
    match(bad.stderr, /^error: .*/m);
    match(bad.stderr, /^error: .*shell\.toml.*line 2/m);
    match(bad.stderr, /fix: /);
    const badDoc = json(await readOnly(gitlab, prefix, ["check", "--output", "json"]));
    equal(badDoc.exit_code, 3);
    equal(badDoc.ok, false);
    equal(badDoc.error!.type, "InputError");
    match(badDoc.error!.where!.file, /shell\.toml$/);
  });
});

Deno.test("check: a broken existing config and loose permissions are reported (exit 3)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    await prefix.writeFile("config.main.toml", "[[runners]\n");
    const broken = await readOnly(gitlab, prefix, ["check"]);
    expectCode(broken, 3, gitlab);
    match(broken.stderr, /config\.main\.toml/);
    await Deno.remove(prefix.outputFile);
    await Deno.chmod(prefix.templateFile, 0o644);
    const loose = await readOnly(gitlab, prefix, ["check"]);
    expectCode(loose, 3, gitlab);
    match(loose.stderr, /chmod 600/);
  });
});

Deno.test("unregister refuses without --yes and says what it would delete (exit 2, read-only)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectCode(await runCli(prefix), 0, gitlab);
    const result = await readOnly(gitlab, prefix, ["unregister"]);
    expectCode(result, 2, gitlab);
    match(result.stdout, /would delete\s+node7 main docker Runner\s+#\d+/);
    match(result.stdout, /would delete\s+node7 main shell Runner/);
    match(result.stderr, /refusing without --yes/);
    match(result.stderr, /fix: .*unregister --yes/);
    equal(own(gitlab).length, 2);
  });
});

Deno.test("unregister --yes deletes only this host's and instance's runners and empties the config", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectCode(await runCli(prefix), 0, gitlab);
    const foreign = [
      gitlab.addRunner({ description: `node8 main shell Runner`, tag_list: ["node8", "main"] }),
      gitlab.addRunner({ description: `${HOST} other shell Runner`, tag_list: [HOST, "other"] }),
      gitlab.addRunner({ description: `hand-made`, tag_list: [HOST, "main"] }),
      gitlab.addRunner({ description: `${HOST} main shell Runner`, tag_list: [HOST, "shell"] }),
    ];
    const leftover = gitlab.addRunner({
      description: `${HOST} main ssh Runner`,
      tag_list: [HOST, "main", "ssh"],
    });
    const ids = [...own(gitlab).filter((r) => r.tag_list.includes("main")).map((r) => r.id)];
    ok(ids.includes(leftover.id));

    const result = await runCli(prefix, ["unregister", "--yes", "--output", "json"]);
    expectCode(result, 0, gitlab);
    const doc = json(result);
    equal(doc.clients[0]!.status, "unregistered");
    deepEqual(doc.clients[0]!.deletions.map((d) => d.id).sort(), ids.sort());
    for (const id of ids) equal(gitlab.runner(id), undefined, `runner ${id} deleted`);
    for (const f of foreign) ok(gitlab.runner(f.id), `${f.description} untouched`);
    const config = parse((await prefix.readOutput())!);
    equal(config.runners, undefined, "no [[runners]] left");
    equal(config.concurrent, 4, "globals kept");
    equal(doc.config!.status, "written");
    equal((await Deno.stat(prefix.outputFile)).mode! & 0o777, 0o600);
  });
});

Deno.test("unregister --yes without a personal access token deletes by the local tokens", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectCode(await runCli(prefix), 0, gitlab);
    const ids = own(gitlab).map((r) => r.id);
    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    const result = await runCli(prefix, ["unregister", "--yes"]);
    expectCode(result, 0, gitlab);
    match(result.stdout, /deleted\s+node7 main shell Runner\s+\(by its token\)/);
    ok(gitlab.mutations().some((r) => r.method === "DELETE" && r.path === "/runners"));
    for (const id of ids) equal(gitlab.runner(id), undefined);
    equal(parse((await prefix.readOutput())!).runners, undefined);
  });
});

Deno.test("sync --output json: one document, runner ids, no token", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const result = await runCli(prefix, ["--output", "json", "--log-format", "json"]);
    expectCode(result, 0, gitlab);
    const doc = json(result);
    equal(doc.schema, 1);
    equal(doc.command, "sync");
    equal(doc.prefix, prefix.dir);
    equal(doc.instance, "main");
    const ids = new Map(own(gitlab).map((r) => [r.description, r.id]));
    for (const step of doc.clients[0]!.steps) {
      equal(step.action, "register");
      equal(step.id, ids.get(step.runner));
    }
    deepEqual(doc.config, { path: prefix.outputFile, status: "written" });
    ok(!/token"\s*:/.test(result.stdout), "no token field");
  });
});

Deno.test("under systemd (JOURNAL_STREAM) every stderr line has a syslog priority", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const env = { JOURNAL_STREAM: "8:12345" };
    const ok0 = await runCli(prefix, [], env);
    expectCode(ok0, 0, gitlab);
    const lines = ok0.stderr.trimEnd().split("\n");
    ok(lines.length >= 2);
    for (const line of lines) match(line, /^<6>info: /);
    ok(!/^</m.test(ok0.stdout), "stdout carries no priority prefixes");

    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\n`);
    const failed = await runCli(prefix, ["--strict"], env);
    expectCode(failed, 3, gitlab);
    const errorLines = failed.stderr.trimEnd().split("\n");
    match(errorLines[0]!, /^<3>error: /);
    for (const line of errorLines) match(line, /^<3>/);
  });
});

Deno.test("--log-format json: every stderr line is one JSON object, errors included", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const parsed = (r: RunResult) =>
      r.stderr.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    const good = await runCli(prefix, ["--log-format", "json"], { JOURNAL_STREAM: "8:1" });
    expectCode(good, 0, gitlab);
    const records = parsed(good);
    ok(records.length >= 2);
    for (const r of records) {
      equal(r.level, "info");
      equal(typeof r.msg, "string");
      ok(!Number.isNaN(Date.parse(r.time as string)));
    }
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\n`);
    const bad = await runCli(prefix, ["--log-format", "json", "--strict"]);
    expectCode(bad, 3, gitlab);
    const [error] = parsed(bad);
    equal(error!.level, "error");
    equal(error!.error, "InputError");
    equal(error!.exit_code, 3);
    match(error!.file as string, /shell\.toml$/);
    equal(typeof error!.fix, "string");
  });
});

Deno.test("systemd LoadCredential: a bare *_file name is read from $CREDENTIALS_DIRECTORY", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeFile(
      "config.template.main.toml",
      `concurrent = 1\n\n[[client_configs]]\nurl = "${gitlab.url}"\npersonal_access_token_file = "gitlab-pat"\n`,
    );
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const credentials = await Deno.makeTempDir({ prefix: "register-runner-creds-" });
    try {
      // What systemd makes: a private directory, the credential read-only for its owner.
      await Deno.chmod(credentials, 0o500);
      await Deno.writeTextFile(`${credentials}/gitlab-pat`, `${gitlab.tokens.adminPat}\n`, {
        mode: 0o400,
      });
      await Deno.chmod(`${credentials}/gitlab-pat`, 0o400);

      const without = await runCli(prefix, ["check"]);
      expectCode(without, 3, gitlab);
      match(without.stderr, /gitlab-pat/);

      const env = { CREDENTIALS_DIRECTORY: credentials };
      expectCode(await runCli(prefix, ["check"], env), 0, gitlab);
      expectCode(await runCli(prefix, [], env), 0, gitlab);
      equal(own(gitlab).length, 1);
      ok(gitlab.requests.some((r) => r.user !== undefined), "the credential authenticated");
    } finally {
      await Deno.chmod(credentials, 0o700);
      await Deno.remove(credentials, { recursive: true });
    }
  });
});

Deno.test("usage errors exit 2; with --output json they are a document too", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    for (
      const [args, pattern] of [
        [["frobnicate"], /unknown command "frobnicate"/],
        [["--yes"], /--yes only applies to unregister/],
        [["plan", "--output", "xml"], /--output must be text or json/],
      ] as const
    ) {
      const result = await readOnly(gitlab, prefix, [...args]);
      expectCode(result, 2, gitlab);
      match(result.stderr, pattern);
    }
    const doc = json(await runCli(prefix, ["check", "--bogus", "--output", "json"]));
    equal(doc.exit_code, 2);
    equal(doc.command, "check");
    equal(doc.error!.type, "UsageError");
  });
});

Deno.test("--help documents every command, and its exit codes match the README's table", async () => {
  for (const command of ["sync", "plan", "check", "unregister"]) {
    match(HELP, new RegExp(`register-runner (\\[${command}\\]|${command})`));
  }
  const helpCodes = [...HELP.slice(HELP.indexOf("Exit codes:")).matchAll(/^ {2}(\d+) /gm)]
    .map((m) => Number(m[1]));
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.slice(readme.indexOf("## Exit codes"));
  const readmeCodes = [...section.slice(0, section.indexOf("\n## ", 3)).matchAll(/^\| (\d+) /gm)]
    .map((m) => Number(m[1]));
  deepEqual(readmeCodes, helpCodes);
  deepEqual(helpCodes, [0, 1, 2, 3, 4, 5, 6, 10]);
  notEqual(HELP.indexOf("10 plan: changes pending"), -1);
});

Deno.test("plan shows a token adopted from an interrupted run's journal as a change", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    equal((await runCli(prefix)).code, 0);
    const shell = own(gitlab).find((r) => r.description.includes("shell"))!;
    // An interrupted run reset the token and journaled it, but never wrote the config.
    const reply = await fetch(
      `${gitlab.url}/api/v4/runners/${shell.id}/reset_authentication_token`,
      {
        method: "POST",
        headers: { "PRIVATE-TOKEN": gitlab.tokens.adminPat },
      },
    );
    const reset = (await reply.json()) as { token: string };
    const entry = {
      clientKey: gitlab.url,
      key: "shell",
      description: shell.description,
      id: shell.id,
      token: reset.token,
      tokenObtainedAt: "2026-01-01T00:00:00Z",
      tokenExpiresAt: null,
      event: "reset",
    };
    await prefix.writeFile(".register-runner.main.journal", JSON.stringify(entry) + "\n");

    const plan = await runCli(prefix, ["plan"]);
    equal(plan.code, 10, plan.stderr);
    match(plan.stdout, /\+\s+token = "\[token from the journal of an interrupted run\]"/);
    assertNoSecrets(plan.stdout + plan.stderr, secretsOf(gitlab));
    equal((await runCli(prefix)).code, 0);
    const section = (parse((await prefix.readOutput())!).runners as Record<string, unknown>[])
      .find((s) => s.id === shell.id)!;
    equal(section.token, reset.token);
  });
});
