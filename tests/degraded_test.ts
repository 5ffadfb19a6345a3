/**
 * Degraded start: a GitLab that cannot be reached, or keeps failing, keeps its last good runner
 * sections (same ids, same tokens) and the run exits 0 so gitlab-runner starts; other GitLabs
 * are still synced. `--strict`, bad credentials, bad local files and a missing previous config
 * fail instead, leaving the config untouched.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type FakeGitLab, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, runCli, spawnCli } from "./support/cli.ts";
import {
  assertNoSecrets,
  countRequests,
  descriptionsOf,
  expectOk,
  leftovers,
  ownRunners,
  secretsOf,
  sectionsOf,
  withSetup,
  writeExecutor,
  writeSite,
} from "./support/e2e.ts";
import { closedPort } from "./support/http_server.ts";
import type { Prefix } from "./support/prefix.ts";

const NAMES = ["shell", "cpu", "gpu"];

/** name → [url, id, token] of every section: what gitlab-runner needs, in a comparable form. */
function meaning(text: string | undefined): Record<string, unknown[]> {
  return Object.fromEntries(sectionsOf(text).map((s) => [s.name, [s.url, s.id, s.token]]));
}

/** Syncs `names` once so there is a last good config; returns its text. */
async function goodConfig(gitlab: FakeGitLab, prefix: Prefix, names = NAMES): Promise<string> {
  await writeSite(gitlab, prefix, names);
  expectOk(await runCli(prefix), gitlab);
  return (await prefix.readOutput())!;
}

Deno.test("GitLab unreachable (closed port): last good sections kept, warning, exit 0", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    const secrets = secretsOf(gitlab);
    await gitlab.close(); // its port is closed from now on
    const started = performance.now();
    const result = await runCli(prefix, ["--timeout", "2"]);
    const took = performance.now() - started;
    equal(result.code, 0, result.stderr);
    match(result.stdout, /UNREACHABLE, kept the last good config for 3 runner/);
    match(result.stdout, /could not be reached .*Connection refused/);
    ok(took < 4000, `bounded by --timeout: ${Math.round(took)} ms`);
    deepEqual(meaning(await prefix.readOutput()), meaning(good));
    assertNoSecrets(result.stdout + result.stderr, secrets);
    deepEqual(await leftovers(prefix), []);
  });
});

Deno.test({
  name: "degraded start is a warning on stderr (journalctl -p warning)",
  fn: async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await goodConfig(gitlab, prefix);
      await gitlab.close();
      const result = await runCli(prefix, ["--timeout", "1"]);
      equal(result.code, 0, result.stderr);
      match(
        result.stderr,
        /^warn: \S+ unreachable after \d+ attempts? .*kept the last good config/m,
      );
    });
  },
});

Deno.test("two GitLabs, one failing with 503 forever: the other is synced, exit 0", async () => {
  const down = await startFakeGitLab({});
  try {
    await withSetup({}, async (up, prefix) => {
      await prefix.writeTemplate([
        { url: up.url, personal_access_token: up.tokens.adminPat },
        { url: down.url, personal_access_token: down.tokens.adminPat },
      ]);
      await writeExecutor(up, prefix, "shell");
      await prefix.writeExecutor("cpu", `url = "${down.url}"\nexecutor = "docker"\n`);
      expectOk(await runCli(prefix), up);
      const before = meaning(await prefix.readOutput());

      down.addFault({ kind: "status", status: 503, times: Infinity });
      await writeExecutor(up, prefix, "batch"); // a change on the healthy GitLab
      await prefix.writeExecutor("gpu", `url = "${down.url}"\nexecutor = "ssh"\n`);
      const result = await runCli(prefix, ["--timeout", "2"]);
      // Only cpu had a section to keep; gpu, new, waits for that GitLab to come back.
      match(result.stderr, /kept the last good config for 1 runner\(s\)/);
      equal(result.code, 0, result.stderr);
      match(result.stdout, new RegExp(`${down.url}: UNREACHABLE`));
      ok(countRequests(down, "GET", "/runners/all") + countRequests(down, "POST", /verify/) > 1);
      const after = meaning(await prefix.readOutput());
      const cpu = `${HOST} main docker Runner`;
      deepEqual(after[cpu], before[cpu], "the failing GitLab's section is kept as it was");
      ok(!(`${HOST} main ssh Runner` in after), "nothing new for the failing GitLab");
      deepEqual(
        ownRunners(up).map((r) => r.description).sort(),
        descriptionsOf(["shell", "batch"]),
        "the healthy GitLab was synced",
      );
      for (const s of sectionsOf(await prefix.readOutput()).filter((s) => s.url === up.url)) {
        equal(s.token, up.runner(s.id as number)?.token);
      }
      assertNoSecrets(result.stdout + result.stderr, [...secretsOf(up), ...secretsOf(down)]);
    });
  } finally {
    await down.close();
  }
});

Deno.test("--strict: an unreachable GitLab fails with exit 5, config byte-identical", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    gitlab.addFault({ kind: "status", status: 503, times: Infinity });
    const result = await runCli(prefix, ["--strict", "--timeout", "1"]);
    equal(result.code, 5, result.stderr);
    match(result.stderr, /could not be reached/);
    equal(await prefix.readOutput(), good);
  });
});

Deno.test("no previous config and GitLab unreachable: says so, exit 5, nothing written", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const url = `http://127.0.0.1:${closedPort()}`;
    await prefix.writeTemplate([{ url, personal_access_token: gitlab.tokens.adminPat }]);
    await prefix.writeExecutor("shell", `url = "${url}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix, ["--timeout", "1"]);
    equal(result.code, 5, result.stderr);
    match(result.stderr, /no previous config/);
    equal(await prefix.readOutput(), undefined);
    deepEqual(await leftovers(prefix), []);
  });
});

for (
  const { name, status, body } of [
    { name: "401 (PAT expired)", status: 401, body: '{"message":"401 Unauthorized"}' },
    {
      name: "403 (PAT lacks a scope)",
      status: 403,
      body: '{"error":"insufficient_scope","scope":"api read_api"}',
    },
  ]
) {
  Deno.test(`bad credentials, ${name}: exit 4, config byte-identical, even without --strict`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const good = await goodConfig(gitlab, prefix);
      gitlab.addFault({ kind: "status", method: "GET", status, body, times: Infinity });
      const result = await runCli(prefix);
      equal(result.code, 4, result.stderr);
      match(result.stderr, new RegExp(`${status}`));
      equal(await prefix.readOutput(), good);
      assertNoSecrets(result.stdout + result.stderr, secretsOf(gitlab));
    });
  });
}

Deno.test("bad local file while GitLab is down: --strict exits 3, config byte-identical", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    await gitlab.close();
    await prefix.writeExecutor("cpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    const result = await runCli(prefix, ["--timeout", "1", "--strict"]);
    equal(result.code, 3, result.stderr);
    equal(await prefix.readOutput(), good);
  });
});

Deno.test("bad local file while GitLab is down: that file's section kept byte for byte, exit 0", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    await gitlab.close();
    await prefix.writeExecutor("cpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    const result = await runCli(prefix, ["--timeout", "1"]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^warn: .*cpu\.toml.*left as it was/m);
    deepEqual(meaning(await prefix.readOutput()), meaning(good));
  });
});

Deno.test("degraded start uses a token journaled by a crashed run", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await goodConfig(gitlab, prefix);
    const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
    gitlab.revokeToken(shell.id); // → reset, journaled, then …
    gitlab.updateRunner(shell.id, { locked: true }); // … PUT: sent only once the token is journaled
    // Kill the run when that PUT reaches GitLab: the new token is journaled, not yet in the config.
    const run = { kill: () => {} };
    gitlab.setGate((request, phase) => {
      if (phase !== "arrived" || request.method !== "PUT") return "pass";
      run.kill();
      return "hold";
    });
    const crashed = spawnCli(prefix);
    run.kill = () => crashed.child.kill("SIGKILL");
    equal((await crashed.done).signal, "SIGKILL");
    gitlab.setGate(undefined);
    ok((await leftovers(prefix)).includes(".register-runner.main.journal"), "journal left");
    const token = gitlab.runner(shell.id)!.token;
    const secrets = secretsOf(gitlab);

    await gitlab.close();
    const result = await runCli(prefix, ["--timeout", "1"]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /journaled by an interrupted run/);
    const section = sectionsOf(await prefix.readOutput()).find((s) => s.id === shell.id)!;
    ok(section.token === token, "the journaled token is in the config");
    assertNoSecrets(result.stdout + result.stderr, secrets);
    deepEqual(await leftovers(prefix), [], "journal cleared once its tokens are in the config");
  });
});

Deno.test({
  name: "tokens issued before a GitLab failed mid-run are kept in the degraded config",
  fn: async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await goodConfig(gitlab, prefix);
      const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
      const gpu = ownRunners(gitlab).find((r) => r.description.includes("gpu"))!;
      gitlab.revokeToken(shell.id); // → reset
      gitlab.updateRunner(gpu.id, { locked: true }); // → PUT, which keeps failing
      gitlab.addFault({ kind: "status", method: "PUT", status: 503, times: Infinity });
      const result = await runCli(prefix, ["--timeout", "2"]);
      equal(result.code, 0, result.stderr);
      match(result.stdout, /UNREACHABLE/);
      equal(countRequests(gitlab, "POST", /reset_authentication_token$/), 1);
      const section = sectionsOf(await prefix.readOutput()).find((s) => s.id === shell.id)!;
      ok(section.token === gitlab.runner(shell.id)!.token, "the reset token is in the config");
      deepEqual(await leftovers(prefix), []);
    });
  },
});

Deno.test("registration token only: a runner whose file was removed while GitLab was down is deleted once it is back", async () => {
  await withSetup({ allowRegistrationToken: true }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    await writeExecutor(gitlab, prefix, "shell");
    await writeExecutor(gitlab, prefix, "cpu");
    expectOk(await runCli(prefix), gitlab);
    const cpu = ownRunners(gitlab).find((r) => r.description.includes("docker"))!;
    ok(cpu, "the cpu runner exists");

    // cpu.toml is removed while GitLab is down: its section goes, its token must not.
    await prefix.removeExecutor("cpu");
    gitlab.addFault({ kind: "status", status: 503, times: Infinity });
    const down = await runCli(prefix, ["--timeout", "2"]);
    equal(down.code, 0, down.stderr);
    deepEqual(Object.keys(meaning(await prefix.readOutput())), [`${HOST} main shell Runner`]);
    ok(gitlab.runner(cpu.id), "nothing deleted while GitLab is down");
    deepEqual(await leftovers(prefix), [".register-runner.main.journal"], "the token is kept");

    gitlab.clearFaults();
    expectOk(await runCli(prefix), gitlab);
    equal(gitlab.runner(cpu.id), undefined, "deleted by its own token once GitLab is back");
    deepEqual(await leftovers(prefix), []);
    deepEqual(ownRunners(gitlab).map((r) => r.description), [`${HOST} main shell Runner`]);
  });
});
