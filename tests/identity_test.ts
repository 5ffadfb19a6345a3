/**
 * End-to-end: a runner's identity and ownership. A runner stays with the executor file it was
 * created for (the ownership record beside the journal), a verified token proves a runner is
 * ours whatever the listing says (unless it is described as another host's: see
 * identity_guards_test.ts), one GitLab under two urls is refused, nothing is orphaned
 * silently, and an emptied executor directory deletes nothing.
 */

import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { HOST, runCli } from "./support/cli.ts";
import { expectOk, ownRunners, sectionsOf, withSetup } from "./support/e2e.ts";
import type { FakeGitLab, FakeRunner } from "./support/fake_gitlab/server.ts";
import type { Prefix } from "./support/prefix.ts";

const shellFile = (gitlab: FakeGitLab) => `url = "${gitlab.url}"\nexecutor = "shell"\n`;

async function template(gitlab: FakeGitLab, prefix: Prefix) {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }]);
}

/** The config section of executor file `key`'s runner (by the description it carries). */
async function idOfSection(prefix: Prefix, description: string): Promise<number> {
  const s = sectionsOf(await prefix.readOutput()).find((x) => x.name === description);
  ok(s, `a config section named ${description}`);
  return s.id as number;
}

const single = `${HOST} main shell Runner`;
const perFile = (key: string) => `${HOST} main shell ${key} Runner`;

Deno.test("a runner stays with its file when other files of its executor type come and go", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await template(gitlab, prefix);
    await prefix.writeExecutor("build", shellFile(gitlab));
    expectOk(await runCli(prefix), gitlab);
    const build = await idOfSection(prefix, single);
    gitlab.updateRunner(build, { locked: false, maximum_timeout: 3600 });
    const record = `${prefix.dir}/.register-runner.main.state.json`;
    equal((await Deno.lstat(record)).mode! & 0o777, 0o600, "the record is 0600");

    // aaa.toml sorts before build.toml and shares its executor type.
    await prefix.writeExecutor("aaa", shellFile(gitlab));
    const added = await runCli(prefix);
    expectOk(added, gitlab);
    equal(await idOfSection(prefix, perFile("build")), build, "build.toml keeps its runner");
    equal(gitlab.runner(build)!.description, perFile("build"));
    const aaa = await idOfSection(prefix, perFile("aaa"));
    notEqual(aaa, build);

    await prefix.removeExecutor("aaa");
    expectOk(await runCli(prefix), gitlab);
    equal(await idOfSection(prefix, single), build, "build.toml still has its runner");
    equal(gitlab.runner(aaa), undefined, "aaa.toml's runner is deleted with its file");
    ok(gitlab.runner(build), "the original runner is never deleted");

    // Another file added, then renamed: build.toml's runner is untouched throughout.
    await prefix.writeExecutor("zzz", shellFile(gitlab));
    expectOk(await runCli(prefix), gitlab);
    const zzz = await idOfSection(prefix, perFile("zzz"));
    await Deno.rename(`${prefix.executorDir}/zzz.toml`, `${prefix.executorDir}/aab.toml`);
    expectOk(await runCli(prefix), gitlab);
    equal(await idOfSection(prefix, perFile("build")), build);
    equal(gitlab.runner(build)!.maximum_timeout, 3600, "the runner of build.toml is the same one");
    ok(gitlab.runner(zzz) === undefined, "the renamed file's old runner went with zzz.toml");
    deepEqual(ownRunners(gitlab).map((r) => r.description).sort(), [
      perFile("aab"),
      perFile("build"),
    ]);
  });
});

Deno.test("a runner moved to another file by the description rules is said loudly", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await template(gitlab, prefix);
    await prefix.writeExecutor("build", shellFile(gitlab));
    expectOk(await runCli(prefix), gitlab);
    const id = await idOfSection(prefix, single);
    // build.toml renamed: the new file carries the same description, so it takes the runner over.
    await Deno.rename(`${prefix.executorDir}/build.toml`, `${prefix.executorDir}/shell.toml`);
    const planned = await runCli(prefix, ["plan", "--output", "json"]);
    const doc = JSON.parse(planned.stdout);
    equal(doc.clients[0].steps[0].moved_from, "build");
    equal(doc.clients[0].steps[0].file, "shell");
    match(planned.stderr, /MOVE: runner #\d+ belonged to executor file build\.toml/);
    const synced = await runCli(prefix);
    expectOk(synced, gitlab);
    match(synced.stderr, /MOVE: /);
    match(synced.stdout, /MOVED from build\.toml/);
    equal(await idOfSection(prefix, single), id);
  });
});

Deno.test("no record (upgraded host): the file named after the executor type adopts the Python tool's runner", async () => {
  await withSetup({ allowRegistrationToken: true }, async (gitlab, prefix) => {
    const legacy = gitlab.addLegacyRunner(HOST, "main", "shell");
    await template(gitlab, prefix);
    // Two shell files; gpu.toml sorts first, but shell.toml is the Python tool's layout.
    await prefix.writeExecutor("gpu", shellFile(gitlab));
    await prefix.writeExecutor("shell", shellFile(gitlab));
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    equal(await idOfSection(prefix, perFile("shell")), legacy.id);
    equal(gitlab.runner(legacy.id)!.description, perFile("shell"));
    notEqual(await idOfSection(prefix, perFile("gpu")), legacy.id);
  });
});

Deno.test("no record, no executor-type file: the first by name adopts, with a loud warning", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const legacy = gitlab.addLegacyRunner(HOST, "main", "shell");
    await template(gitlab, prefix);
    await prefix.writeExecutor("gpu", shellFile(gitlab));
    await prefix.writeExecutor("main", shellFile(gitlab));
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(
      result.stderr,
      /AMBIGUOUS: "node7 main shell Runner" could belong to gpu\.toml, main\.toml/,
    );
    equal(await idOfSection(prefix, perFile("gpu")), legacy.id);
  });
});

/** One synced shell runner; returns its id. */
async function oneRunner(gitlab: FakeGitLab, prefix: Prefix): Promise<number> {
  await template(gitlab, prefix);
  await prefix.writeExecutor("shell", shellFile(gitlab));
  expectOk(await runCli(prefix), gitlab);
  return await idOfSection(prefix, single);
}

for (
  const [what, drift] of [
    ["its instance tag removed in the UI", { tag_list: [HOST, "shell"] }],
    ["its description renamed in the UI", { description: "renamed by hand" }],
  ] as [string, Partial<FakeRunner>][]
) {
  Deno.test(`a verified runner with ${what} is adopted and fixed in place, not registered again`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const id = await oneRunner(gitlab, prefix);
      gitlab.updateRunner(id, drift);
      const result = await runCli(prefix);
      expectOk(result, gitlab);
      deepEqual(gitlab.runners().map((r) => r.id), [id], "no second runner");
      equal(gitlab.runner(id)!.description, single);
      deepEqual([...gitlab.runner(id)!.tag_list].sort(), [HOST, "main", "shell"].sort());
      equal(await idOfSection(prefix, single), id);
      ok(!/no longer exists/.test(result.stdout + result.stderr));
    });
  });
}

Deno.test("hostile: details with a wrong-typed tag_list do not make a verified runner register again", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const id = await oneRunner(gitlab, prefix);
    gitlab.setWrongTypedTags([id]);
    expectOk(await runCli(prefix), gitlab);
    deepEqual(gitlab.runners().map((r) => r.id), [id], "no second runner");
    equal(await idOfSection(prefix, single), id);
  });
});

Deno.test("hostile: a listing that leaves out verified runners is not trusted for deletions or registrations", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await template(gitlab, prefix);
    for (const f of ["a", "b", "c"]) await prefix.writeExecutor(f, shellFile(gitlab));
    expectOk(await runCli(prefix), gitlab);
    const before = await prefix.readOutput();
    const ids = gitlab.runners().map((r) => r.id);
    // A duplicate the tool would delete, and one file's runner left out by the listing.
    const dup = gitlab.addRunner({ description: perFile("a"), tag_list: [HOST, "main", "shell"] });
    const b = await idOfSection(prefix, perFile("b"));
    gitlab.setListingOmits([b]);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(result.stderr, /runner listing of this GitLab left out runner\(s\) #\d+/);
    ok(gitlab.runner(dup.id), "no deletion on an untrusted listing");
    deepEqual(gitlab.runners().map((r) => r.id), [...ids, dup.id], "nothing registered or deleted");
    equal(await prefix.readOutput(), before, "config sections kept");
    gitlab.setListingOmits([]);
    expectOk(await runCli(prefix), gitlab);
    equal(gitlab.runner(dup.id), undefined, "a trusted listing deletes the duplicate again");
  });
});

Deno.test("hostile: an empty listing page does not orphan verified runners", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await template(gitlab, prefix);
    for (const f of ["a", "b"]) await prefix.writeExecutor(f, shellFile(gitlab));
    expectOk(await runCli(prefix), gitlab);
    const ids = gitlab.runners().map((r) => r.id);
    gitlab.setListingOmits(ids);
    expectOk(await runCli(prefix), gitlab);
    deepEqual(gitlab.runners().map((r) => r.id), ids);
  });
});

Deno.test("one GitLab under two client_configs urls is refused (exit 3), nothing deleted", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const other = gitlab.addAlias();
    const pat = gitlab.tokens.adminPat;
    await prefix.writeTemplate([
      { url: gitlab.url, personal_access_token: pat },
      { url: other, personal_access_token: pat },
    ]);
    await prefix.writeExecutor("shell", shellFile(gitlab));
    await prefix.writeExecutor(
      "docker",
      `url = "${other}"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`,
    );
    expectOk(await runCli(prefix), gitlab);
    const ids = gitlab.runners().map((r) => r.id);
    equal(ids.length, 2);
    const before = await prefix.readOutput();
    for (let i = 0; i < 2; i++) {
      const result = await runCli(prefix);
      equal(result.code, 3, result.stderr);
      match(result.stderr, new RegExp(`${gitlab.url}.*${other}|${other}.*${gitlab.url}`));
      match(result.stderr, /reach the same GitLab/);
      deepEqual(gitlab.runners().map((r) => r.id), ids, "nothing deleted");
      equal(await prefix.readOutput(), before);
    }
    equal(gitlab.mutations().filter((m) => m.method === "DELETE").length, 0);
  });
});

for (const record of [true, false]) {
  Deno.test(`renamed host (record ${record ? "kept" : "absent"}): the old host's runner is named and left alone, a new one registered`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const id = await oneRunner(gitlab, prefix);
      if (!record) await Deno.remove(`${prefix.dir}/.register-runner.main.state.json`);
      // From here the host cannot tell a rename from a clone of node7's disk: node7's runner is
      // never renamed, retagged or deleted (tests/identity_guards_test.ts).
      const result = await runCli(prefix, [], { REGISTER_RUNNER_HOSTNAME: "node9" });
      expectOk(result, gitlab);
      equal(gitlab.runner(id)!.description, single, "the old host's runner is untouched");
      match(
        result.stderr,
        new RegExp(
          `${single} \\(#${id}\\): .*looks like host node7's instance main.*NOT changed or deleted`,
        ),
      );
      deepEqual(gitlab.runners().map((r) => r.description).sort(), [
        "node7 main shell Runner",
        "node9 main shell Runner",
      ]);
    });
  });
}

for (
  const [what, name] of [
    ["a comma", "node7,x"],
    ["only blanks", "   "],
    ["256 characters", "n".repeat(256)],
  ] as [string, string][]
) {
  Deno.test(`a host name with ${what} is refused (exit 3), nothing registered`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await template(gitlab, prefix);
      await prefix.writeExecutor("shell", shellFile(gitlab));
      const result = await runCli(prefix, [], { REGISTER_RUNNER_HOSTNAME: name });
      equal(result.code, 3, result.stderr);
      match(result.stderr, /host name/);
      equal(gitlab.runners().length, 0);
    });
  });
}

Deno.test("an emptied executor directory deletes nothing: exit 3, runners and config kept; --allow-empty deletes", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const id = await oneRunner(gitlab, prefix);
    const before = await prefix.readOutput();
    await prefix.removeExecutor("shell");
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /no executor file in .*: sync would delete every runner/);
    match(result.stderr, /--allow-empty/);
    ok(gitlab.runner(id), "the runner is kept");
    equal(await prefix.readOutput(), before, "the config is kept");
    equal(gitlab.mutations().length, 1, "only the first run's registration");
    const planned = await runCli(prefix, ["plan"]);
    match(planned.stdout, /delete/, "plan lists the deletion");
    expectOk(await runCli(prefix, ["--allow-empty"]), gitlab);
    equal(gitlab.runner(id), undefined);
  });
});

Deno.test("a GitLab removed from client_configs: its runners are named, not dropped silently", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const id = await oneRunner(gitlab, prefix);
    const other = gitlab.addAlias();
    await prefix.writeTemplate([{ url: other, personal_access_token: gitlab.tokens.adminPat }]);
    await prefix.writeExecutor("shell", `url = "${other}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(
      result.stderr,
      new RegExp(
        `${single} \\(#${id}\\) at ${gitlab.url}: that GitLab is no longer in client_configs`,
      ),
    );
  });
});
