/**
 * End-to-end: the real CLI as a subprocess against the fake GitLab on loopback.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import { type FakeGitLab, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, runCli } from "./support/cli.ts";
import { assertNoSecrets, expectOk, secretsOf, withSetup } from "./support/e2e.ts";
import { Prefix } from "./support/prefix.ts";

async function standardPrefix(gitlab: FakeGitLab, prefix: Prefix): Promise<void> {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }]);
  await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
  await prefix.writeExecutor(
    "docker",
    `url = "${gitlab.url}"\nexecutor = "docker"\ntags = ["gpu"]\n[docker]\nimage = "alpine:3"\nprivileged = false\n`,
  );
}

function ownRunners(gitlab: FakeGitLab) {
  return gitlab.runners().filter((r) => r.description.startsWith(`${HOST} main `));
}

function runnerSections(text: string | undefined): Record<string, unknown>[] {
  ok(text !== undefined, "config was written");
  return (parse(text).runners ?? []) as Record<string, unknown>[];
}

Deno.test("first sync registers every executor and writes a clean 0600 config", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    const runners = ownRunners(gitlab);
    deepEqual(runners.map((r) => r.description).sort(), [
      `${HOST} main docker Runner`,
      `${HOST} main shell Runner`,
    ]);
    const docker = runners.find((r) => r.description.includes("docker"))!;
    deepEqual([...docker.tag_list].sort(), ["docker", "gpu", "main", HOST].sort());
    equal(docker.run_untagged, false);

    const text = await prefix.readOutput();
    const sections = runnerSections(text);
    deepEqual(sections.map((s) => s.name), [
      `${HOST} main docker Runner`,
      `${HOST} main shell Runner`,
    ]);
    for (const s of sections) {
      const server = runners.find((r) => r.description === s.name)!;
      equal(s.id, server.id);
      equal(s.token, server.token);
      equal(s.url, gitlab.url);
      for (const key of ["tags", "tag_list", "description", "env_tags", "run_untagged", "locked"]) {
        ok(!(key in s), `no ${key} in config.toml`);
      }
    }
    deepEqual((sections[0]!.docker as Record<string, unknown>).image, "alpine:3");
    ok(!("client_configs" in parse(text!)), "client_configs is not written");
    equal((await Deno.stat(prefix.outputFile)).mode! & 0o777, 0o600);
    match(text!, /^# .*register-runner/m);
  });
});

Deno.test("second sync makes no mutation and leaves the file unchanged", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const before = await prefix.readOutput();
    const mtime = (await Deno.stat(prefix.outputFile)).mtime;
    const seen = gitlab.requests.length;
    const second = await runCli(prefix);
    expectOk(second, gitlab);
    deepEqual(
      gitlab.mutations().filter((m) => m.at >= 0 && gitlab.requests.indexOf(m) >= seen),
      [],
    );
    equal(await prefix.readOutput(), before);
    deepEqual((await Deno.stat(prefix.outputFile)).mtime, mtime);
    match(second.stdout, /config: unchanged/);
  });
});

Deno.test("executor removed: its runner is deleted in GitLab and from the config", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const dockerId = ownRunners(gitlab).find((r) => r.description.includes("docker"))!.id;
    await prefix.removeExecutor("docker");
    expectOk(await runCli(prefix), gitlab);
    equal(gitlab.runner(dockerId), undefined);
    deepEqual(ownRunners(gitlab).map((r) => r.description), [`${HOST} main shell Runner`]);
    deepEqual(runnerSections(await prefix.readOutput()).map((s) => s.name), [
      `${HOST} main shell Runner`,
    ]);
  });
});

Deno.test("executor added: only the new one is registered", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const ids = ownRunners(gitlab).map((r) => r.id).sort();
    await prefix.writeExecutor(
      "batch",
      `url = "${gitlab.url}"\nexecutor = "custom"\n[custom]\nrun_exec = "/usr/bin/true"\n`,
    );
    expectOk(await runCli(prefix), gitlab);
    const after = ownRunners(gitlab);
    equal(after.length, 3);
    ok(ids.every((id) => after.some((r) => r.id === id)), "existing runners kept");
    equal(runnerSections(await prefix.readOutput()).length, 3);
  });
});

for (const patched of [false, true]) {
  Deno.test(`local config lost (${patched ? "patched" : "unpatched"} GitLab): same runner ids, no new registration`, async () => {
    await withSetup({ exposeTokenInDetails: patched }, async (gitlab, prefix) => {
      await standardPrefix(gitlab, prefix);
      expectOk(await runCli(prefix), gitlab);
      const ids = ownRunners(gitlab).map((r) => r.id).sort();
      await Deno.remove(prefix.outputFile);
      const seen = gitlab.requests.length;
      expectOk(await runCli(prefix), gitlab);
      deepEqual(ownRunners(gitlab).map((r) => r.id).sort(), ids);
      const later = gitlab.requests.slice(seen);
      ok(
        !later.some((r) =>
          r.method === "POST" && (r.path === "/user/runners" || r.path === "/runners")
        ),
      );
      equal(later.some((r) => r.path.endsWith("/reset_authentication_token")), !patched);
      const sections = runnerSections(await prefix.readOutput());
      for (const s of sections) {
        const server = gitlab.runner(s.id as number)!;
        equal(s.token, server.token, "config holds the runner's current token");
      }
    });
  });
}

Deno.test("revoked token: recovered in place with the same id", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
    gitlab.revokeToken(shell.id);
    expectOk(await runCli(prefix), gitlab);
    const section = runnerSections(await prefix.readOutput()).find((s) => s.id === shell.id)!;
    equal(section.token, gitlab.runner(shell.id)!.token);
    equal(ownRunners(gitlab).length, 2);
  });
});

Deno.test("two files with the same executor type are two runners", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor(
      "cpu",
      `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\nimage = "a"\n`,
    );
    await prefix.writeExecutor(
      "gpu",
      `url = "${gitlab.url}"\nexecutor = "docker"\ntags = ["gpu"]\n[docker]\nimage = "b"\n`,
    );
    expectOk(await runCli(prefix), gitlab);
    deepEqual(ownRunners(gitlab).map((r) => r.description).sort(), [
      `${HOST} main docker cpu Runner`,
      `${HOST} main docker gpu Runner`,
    ]);
    expectOk(await runCli(prefix), gitlab);
    equal(ownRunners(gitlab).length, 2);
  });
});

Deno.test("two GitLab instances are synced independently", async () => {
  const other = await startFakeGitLab({});
  try {
    await withSetup({}, async (gitlab, prefix) => {
      await prefix.writeTemplate([
        { url: gitlab.url, personal_access_token: gitlab.tokens.adminPat },
        { url: other.url, personal_access_token: other.tokens.adminPat },
      ]);
      await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
      await prefix.writeExecutor(
        "other",
        `url = "${other.url}/"\nexecutor = "shell"\ntags = ["x"]\n`,
      );
      expectOk(await runCli(prefix), gitlab);
      equal(ownRunners(gitlab).length, 1);
      equal(ownRunners(other).length, 1);
      const urls = runnerSections(await prefix.readOutput()).map((s) => s.url).sort();
      deepEqual(urls, [gitlab.url, other.url].sort());
    });
  } finally {
    await other.close();
  }
});

Deno.test("GitLab 17+: a PAT-only client registers through POST /user/runners (glrt- tokens)", async () => {
  await withSetup({ allowRegistrationToken: false }, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    ok(ownRunners(gitlab).every((r) => r.token.startsWith("glrt-")));
    ok(gitlab.requests.some((r) => r.method === "POST" && r.path === "/user/runners"));
    ok(!gitlab.requests.some((r) => r.method === "POST" && r.path === "/runners"));
  });
});

Deno.test("old GitLab without /user/runners: falls back to the registration token", async () => {
  await withSetup(
    { userRunnersApi: false, allowRegistrationToken: true },
    async (gitlab, prefix) => {
      await prefix.writeTemplate([{
        url: gitlab.url,
        personal_access_token: gitlab.tokens.adminPat,
        registration_token: gitlab.tokens.registrationToken,
      }]);
      await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
      expectOk(await runCli(prefix), gitlab);
      equal(ownRunners(gitlab).length, 1);
      ok(gitlab.requests.some((r) => r.method === "POST" && r.path === "/runners"));
      expectOk(await runCli(prefix), gitlab);
      equal(ownRunners(gitlab).length, 1);
    },
  );
});

Deno.test("registration token only on GitLab 17+: 410 is reported with what to do", async () => {
  await withSetup({ allowRegistrationToken: false }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix);
    equal(result.code, 4);
    match(result.stderr, /410/);
    match(result.stderr, /personal_access_token/);
    equal(await prefix.readOutput(), undefined);
    assertNoSecrets(result.stderr, secretsOf(gitlab));
  });
});

Deno.test("migration from the Python tool: runners adopted, duplicates deleted, config rewritten clean", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const tags = [HOST, "shell", "main"];
    const description = `${HOST} main shell Runner`;
    const old1 = gitlab.addRunner({
      description,
      tag_list: tags,
      run_untagged: false,
      registration_type: "registration_token",
    });
    const kept = gitlab.addRunner({
      description,
      tag_list: tags,
      run_untagged: false,
      registration_type: "registration_token",
    });
    const old3 = gitlab.addRunner({
      description,
      tag_list: tags,
      run_untagged: false,
      registration_type: "registration_token",
    });
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    // What the Python tool wrote: template globals, then runners with tool-only keys and no id.
    await prefix.writeFile(
      "config.main.toml",
      `concurrent = 4\ncheck_interval = 0\n\n[[runners]]\nurl = "${gitlab.url}"\nexecutor = "shell"\n` +
        `tags = ${JSON.stringify(tags)}\ndescription = "${description}"\ntoken = "${kept.token}"\n`,
    );
    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    deepEqual(ownRunners(gitlab).map((r) => r.id), [kept.id]);
    equal(gitlab.runner(old1.id), undefined);
    equal(gitlab.runner(old3.id), undefined);
    ok(!gitlab.requests.slice(seen).some((r) => r.method === "POST" && r.path === "/user/runners"));
    const [section] = runnerSections(await prefix.readOutput());
    equal(section!.id, kept.id);
    equal(section!.token, kept.token);
    equal(section!.name, description);
    ok(!("description" in section!) && !("tags" in section!));
  });
});

Deno.test("runners of other hosts and instances are never touched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const foreign = [
      gitlab.addRunner({
        description: `node8 main shell Runner`,
        tag_list: ["node8", "main", "shell"],
      }),
      gitlab.addRunner({
        description: `${HOST} other shell Runner`,
        tag_list: [HOST, "other", "shell"],
      }),
      gitlab.addRunner({ description: `hand-made`, tag_list: [HOST, "main"] }),
      gitlab.addRunner({ description: `${HOST} main shell Runner`, tag_list: [HOST, "shell"] }),
    ];
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    await prefix.removeExecutor("shell");
    await prefix.removeExecutor("docker");
    expectOk(await runCli(prefix, ["--allow-empty"]), gitlab);
    for (const f of foreign) {
      const now = gitlab.runner(f.id);
      ok(now, `runner ${f.description} still exists`);
      deepEqual(now.tag_list, f.tag_list);
      equal(now.description, f.description);
    }
    equal(ownRunners(gitlab).filter((r) => r.tag_list.includes("main")).length, 0);
  });
});

Deno.test("drifted tags are fixed in place with PUT", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    await prefix.writeExecutor(
      "shell",
      `url = "${gitlab.url}"\nexecutor = "shell"\ntags = ["new"]\nlocked = true\n`,
    );
    const ids = ownRunners(gitlab).map((r) => r.id).sort();
    expectOk(await runCli(prefix), gitlab);
    deepEqual(ownRunners(gitlab).map((r) => r.id).sort(), ids);
    const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
    ok(shell.tag_list.includes("new"));
    equal(shell.locked, true);
    ok(gitlab.requests.some((r) => r.method === "PUT"));
  });
});

Deno.test("bad inputs fail clearly and leave the config byte-identical (an executor file's own problem: with --strict)", async (t) => {
  await withSetup({}, async (gitlab, prefix) => {
    await standardPrefix(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const good = await prefix.readOutput();
    const template = await Deno.readTextFile(prefix.templateFile);
    const shell = `url = "${gitlab.url}"\nexecutor = "shell"\n`;

    const cases: {
      name: string;
      code: number;
      pattern: RegExp;
      /** `--strict` for a problem of one executor file (quarantined otherwise). */
      args?: string[];
      setup(): Promise<void>;
      undo(): Promise<void>;
    }[] = [
      {
        name: "wrong PAT",
        code: 4,
        pattern: /401/,
        setup: () =>
          prefix.writeTemplate([{
            url: gitlab.url,
            personal_access_token: "glpat-fake-wrong-000000",
          }]),
        undo: () => prefix.writeFile(`config.template.main.toml`, template),
      },
      {
        name: "malformed TOML",
        code: 3,
        pattern: /shell\.toml.*line 2/s,
        args: ["--strict"],
        setup: () => prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = \n`),
        undo: () => prefix.writeExecutor("shell", shell),
      },
      {
        name: "missing key",
        code: 3,
        pattern: /shell\.toml.*executor/s,
        args: ["--strict"],
        setup: () => prefix.writeExecutor("shell", `url = "${gitlab.url}"\n`),
        undo: () => prefix.writeExecutor("shell", shell),
      },
      {
        name: "unknown url",
        code: 3,
        pattern: /shell\.toml.*url/s,
        args: ["--strict"],
        setup: () =>
          prefix.writeExecutor("shell", `url = "https://elsewhere.example"\nexecutor = "shell"\n`),
        undo: () => prefix.writeExecutor("shell", shell),
      },
      {
        name: "loose permissions on the executor directory",
        code: 3,
        pattern: /chmod 700/,
        setup: () => Deno.chmod(`${prefix.dir}/main`, 0o755),
        undo: () => Deno.chmod(`${prefix.dir}/main`, 0o700),
      },
      {
        name: "loose permissions on the template",
        code: 3,
        pattern: /chmod 600/,
        setup: () => Deno.chmod(prefix.templateFile, 0o644),
        undo: () => Deno.chmod(prefix.templateFile, 0o600),
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await c.setup();
        try {
          const mutationsBefore = gitlab.mutations().length;
          const result = await runCli(prefix, c.args ?? []);
          equal(result.code, c.code, result.stderr);
          match(result.stderr, c.pattern);
          ok(!/at .*\.ts:\d+/.test(result.stderr), "no stack trace");
          assertNoSecrets(result.stdout + result.stderr, [
            ...secretsOf(gitlab),
            "glpat-fake-wrong-000000",
          ]);
          equal(await prefix.readOutput(), good, "config untouched");
          equal(gitlab.mutations().length, mutationsBefore, "nothing changed in GitLab");
        } finally {
          await c.undo();
        }
      });
    }
  });
});

Deno.test("listings spread over many pages are read to the end (no duplicates on restart)", async () => {
  await withSetup({ maxPerPage: 2, defaultPerPage: 2 }, async (gitlab, prefix) => {
    for (let i = 0; i < 4; i++) {
      gitlab.addRunner({
        description: `node8 main shell Runner`,
        tag_list: ["node8", "main", HOST],
      });
    }
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    for (const name of ["a", "b", "c", "d", "e"]) {
      await prefix.writeExecutor(name, `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    }
    expectOk(await runCli(prefix), gitlab);
    equal(ownRunners(gitlab).length, 5);
    await Deno.remove(prefix.outputFile);
    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    equal(ownRunners(gitlab).length, 5, "no duplicates after a restart without config");
    equal(gitlab.runners().length, 9, "foreign runners untouched");
    const pages = gitlab.requests.slice(seen).filter((r) => r.path === "/runners/all");
    ok(pages.length >= 3, `all pages listed (${pages.length})`);
    ok(!gitlab.requests.slice(seen).some((r) => r.path === "/user/runners"));
  });
});

Deno.test("a token rotated by gitlab-runner itself is kept, not replaced or reset", async () => {
  await withSetup({ tokenExpiresInSeconds: 30 * 24 * 3600 }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    expectOk(await runCli(prefix), gitlab);
    const before = await prefix.readOutput();
    const [section] = runnerSections(before);
    // What gitlab-runner does at 75 % of the token's lifetime: reset with the token, then rewrite
    // config.toml with the new token and times.
    const reply = await fetch(`${gitlab.url}/api/v4/runners/reset_authentication_token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: section!.token }),
    });
    equal(reply.status, 201);
    const rotated = (await reply.json()) as { token: string; token_expires_at: string };
    const later = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    await prefix.writeFile(
      "config.main.toml",
      before!
        .replace(`token = "${section!.token}"`, `token = "${rotated.token}"`)
        .replace(/token_obtained_at = \S+/, `token_obtained_at = ${later}`),
    );
    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    const [after] = runnerSections(await prefix.readOutput());
    equal(after!.token, rotated.token, "the rotated token is kept");
    equal(gitlab.runner(section!.id as number)!.token, rotated.token, "and it is still GitLab's");
    ok(!gitlab.requests.slice(seen).some((r) => r.path.endsWith("/reset_authentication_token")));
  });
});

Deno.test("GitLab older than 14.3 without the patch: a lost token is replaced (delete + register), nothing else", async () => {
  await withSetup({ version: "14.0" }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await prefix.writeExecutor("docker", `url = "${gitlab.url}"\nexecutor = "docker"\n`);
    expectOk(await runCli(prefix), gitlab);
    const before = ownRunners(gitlab).map((r) => r.id).sort();
    equal(before.length, 2);

    // Lose only the shell runner's token: docker keeps its id.
    const docker = ownRunners(gitlab).find((r) => r.description.includes("docker"))!;
    const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
    gitlab.revokeToken(shell.id);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(result.stderr, /cannot recover the token of .*shell.* in place/);
    equal(gitlab.runner(shell.id), undefined, "the unrecoverable runner is deleted");
    ok(gitlab.runner(docker.id), "the healthy runner is kept");
    const after = ownRunners(gitlab);
    equal(after.length, 2, "no duplicate");
    const sections = runnerSections(await prefix.readOutput());
    for (const s of sections) equal(s.token, gitlab.runner(s.id as number)!.token);
  });
});

Deno.test("GitLab older than 14.3 with the LLNL patch: the token is read back, the runner kept", async () => {
  await withSetup(
    { version: "14.0", exposeTokenInDetails: true },
    async (gitlab, prefix) => {
      await prefix.writeTemplate([{
        url: gitlab.url,
        personal_access_token: gitlab.tokens.adminPat,
        registration_token: gitlab.tokens.registrationToken,
      }]);
      await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
      expectOk(await runCli(prefix), gitlab);
      const [id] = ownRunners(gitlab).map((r) => r.id);
      await Deno.remove(prefix.outputFile);
      expectOk(await runCli(prefix), gitlab);
      deepEqual(ownRunners(gitlab).map((r) => r.id), [id]);
      equal(runnerSections(await prefix.readOutput())[0]!.token, gitlab.runner(id!)!.token);
    },
  );
});
