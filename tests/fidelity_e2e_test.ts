/**
 * End-to-end checks of GitLab behaviours read from its source (register-runner issue 10): runner
 * types, Retry-After beyond the budget, tags GitLab would rewrite, `$` in tokens and urls, 404s
 * that are not an old GitLab, Admin Mode, and what verify leaves in the runner manager.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { HOST, runCli } from "./support/cli.ts";
import { assertConverged, expectOk, ownRunners, sectionsOf, withSetup } from "./support/e2e.ts";

const SHELL_DESCRIPTION = `${HOST} main shell Runner`;

Deno.test("a group runner with this host's tags, description and even its token in the config is never touched; an instance runner is registered instead", async () => {
  for (const version of ["17.0", "17.11.2"]) {
    await withSetup({ version }, async (gitlab, prefix) => {
      // What the Python tool registered with a group registration token; its group may be gone.
      const group = gitlab.addRunner({
        runner_type: "group_type",
        group_ids: [10],
        description: SHELL_DESCRIPTION,
        tag_list: [HOST, "main", "shell"],
        run_untagged: false,
        registration_type: "registration_token",
        locked: true,
      });
      const orphan = gitlab.addRunner({
        runner_type: "project_type",
        project_ids: [999],
        description: `${HOST} main docker Runner`,
        tag_list: [HOST, "main", "docker"],
        run_untagged: false,
        registration_type: "registration_token",
      });
      await prefix.writeTemplate([{
        url: gitlab.url,
        personal_access_token: gitlab.tokens.adminPat,
      }]);
      await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
      await prefix.writeFile(
        "config.main.toml",
        `[[runners]]\nname = "${SHELL_DESCRIPTION}"\nurl = "${gitlab.url}"\nid = ${group.id}\n` +
          `token = "${group.token}"\nexecutor = "shell"\n`,
      );
      const first = await runCli(prefix);
      expectOk(first, gitlab);
      match(
        first.stderr,
        new RegExp(`runner #${group.id} that the config holds is a group_type runner`),
      );
      const groupAfter = gitlab.runner(group.id)!;
      equal(groupAfter.token, group.token, "the group runner's token is not reset");
      equal(groupAfter.locked, true, "nor is it updated");
      ok(gitlab.runner(orphan.id), "a project runner with an owned description is not deleted");
      const instance = ownRunners(gitlab).filter((r) => r.runner_type === "instance_type");
      deepEqual(instance.map((r) => r.description), [SHELL_DESCRIPTION]);
      const [section] = sectionsOf(await prefix.readOutput());
      equal(section!.id, instance[0]!.id);

      gitlab.clearRequests();
      expectOk(await runCli(prefix), gitlab);
      deepEqual(gitlab.mutations(), [], `${version}: the next run changes nothing`);
      ok(
        gitlab.requests.some((r) => r.path === "/runners/all" && r.query.type === "instance_type"),
        "the listing asks for instance runners only",
      );
    });
  }
});

Deno.test("a config entry holding a group runner whose token GitLab now rejects (orphaned: 422) is not reset at every run", async () => {
  await withSetup({ version: "17.11.2" }, async (gitlab, prefix) => {
    const group = gitlab.addRunner({
      runner_type: "group_type",
      group_ids: [999],
      description: SHELL_DESCRIPTION,
      tag_list: [HOST, "main", "shell"],
      run_untagged: false,
    });
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await prefix.writeFile(
      "config.main.toml",
      `[[runners]]\nname = "${SHELL_DESCRIPTION}"\nurl = "${gitlab.url}"\nid = ${group.id}\n` +
        `token = "${group.token}"\nexecutor = "shell"\n`,
    );
    expectOk(await runCli(prefix), gitlab);
    equal(gitlab.runner(group.id)!.token, group.token);
    gitlab.clearRequests();
    expectOk(await runCli(prefix), gitlab);
    deepEqual(gitlab.mutations(), [], "the next run changes nothing");
    gitlab.deleteRunner(group.id);
    await assertConverged(gitlab, prefix, [SHELL_DESCRIPTION]);
  });
});

Deno.test("429 with a Retry-After beyond --timeout: degraded start at once with the last good config, saying why", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    expectOk(await runCli(prefix), gitlab);
    const before = await prefix.readOutput();
    // What GitLab's runner-manager creation limit is said to answer (a guess: not found in source).
    gitlab.addFault({
      path: "/runners/verify",
      kind: "status",
      status: 429,
      body: "Retry later\n",
      headers: { "retry-after": "600" },
      times: Infinity,
    });
    const started = Date.now();
    const result = await runCli(prefix, ["--timeout", "120"]);
    expectOk(result, gitlab);
    ok(Date.now() - started < 20_000, "no sleeping into the budget");
    match(result.stderr, /asks to retry in 600 s \(Retry-After\), more than the/);
    match(result.stderr + result.stdout, /last good config/i);
    equal(await prefix.readOutput(), before);
  });
});

Deno.test("Admin Mode: an administrator's token without the admin_mode scope gets 403; the message names the scope", async () => {
  await withSetup({ adminMode: true }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    // The token's own scopes (GET /personal_access_tokens/self) explain the listing's 403.
    match(result.stderr, /nothing was changed: `admin_mode` to list the instance's runners/);
    match(result.stderr, /Admin Mode on .*that token also needs the admin_mode scope/);
    equal(await prefix.readOutput(), undefined);
    gitlab.state.pats.get(gitlab.tokens.adminPat)!.scopes.push("admin_mode");
    expectOk(await runCli(prefix), gitlab);
  });
});

Deno.test("a 404 from a wrong url (a /ci suffix) is told apart from an old GitLab by asking GET /version", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const url = `${gitlab.url}/ci`;
    await prefix.writeTemplate([{ url, personal_access_token: gitlab.tokens.adminPat }]);
    await prefix.writeExecutor("shell", `url = "${url}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /is not GitLab's address: GET \/api\/v4\/version answered 404 too/);
    ok(gitlab.requests.some((r) => r.path === "/ci/api/v4/version"));
  });
});

Deno.test("a config token that is a variable reference ($VAR, gitlab-runner 18.10+) is never verified or reset, and kept as written", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    expectOk(await runCli(prefix), gitlab);
    const [runner] = ownRunners(gitlab);
    const text = (await prefix.readOutput())!.replace(
      /token = "[^"]+"/,
      'token = "${RUNNER_TOKEN}"',
    );
    await prefix.writeFile("config.main.toml", text);
    gitlab.clearRequests();
    expectOk(await runCli(prefix), gitlab);
    deepEqual(gitlab.mutations(), [], "no reset, no registration");
    ok(!gitlab.requests.some((r) => r.path === "/runners/verify"), "not verified as a literal");
    const [section] = sectionsOf(await prefix.readOutput());
    equal(section!.token, "${RUNNER_TOKEN}");
    equal(section!.id, runner!.id);
  });
});

Deno.test("verify creates the runner manager with the capabilities gitlab-runner 19.3 would record (newest GitLab)", async () => {
  await withSetup({ version: "newest" }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await prefix.writeFile(".runner_system_id", "s_0123456789ab");
    const bin = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${bin}/gitlab-runner`,
      "#!/bin/sh\nprintf 'Version:      19.3.0\\nGit revision: d79f3e7b\\n'\n",
      { mode: 0o755 },
    );
    const env = { PATH: `${bin}:${Deno.env.get("PATH") ?? ""}` };
    try {
      expectOk(await runCli(prefix, [], env), gitlab);
      // A reinstalled host: the manager rows are gone, the config stays.
      const [runner] = ownRunners(gitlab);
      gitlab.updateRunner(runner!.id, { managers: [], manager_rows: {} });
      gitlab.clearRequests();
      expectOk(await runCli(prefix, [], env), gitlab);
      const verify = gitlab.requests.filter((r) => r.path === "/runners/verify");
      equal(verify.length, 1, "one verify per token, as before");
      const row = gitlab.runner(runner!.id)!.manager_rows["s_0123456789ab"]!;
      equal(row.runtime_features.cancel_gracefully, true, "after_script runs on cancel");
      equal(row.runtime_features.image, false, "the shell executor runs no images");
      deepEqual(
        [row.info.version, row.info.revision, row.info.executor, row.info.shell],
        ["19.3.0", "d79f3e7b", "shell", "bash"],
      );
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  });
});
