/**
 * End-to-end: the guards around identity and ownership. A verified token is not enough to take a
 * runner over when the runner is described as another host's or instance's (a config copied from
 * there: a cloned VM image, a copied instance) — sync and unregister leave it alone and say so; an
 * old GitLab (verify without a runner id) never lets the config's `id` point sync at another
 * host's runner; one GitLab under two urls never deletes the other url's runners, also without
 * ids in config.toml; a quarantined file keeps its runner through the ownership record.
 */

import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { expectOk, sectionsOf, withSetup } from "./support/e2e.ts";
import { type FakeGitLab, type FakeRunner, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { Prefix } from "./support/prefix.ts";

const shellFile = (url: string, extra = "") => `url = "${url}"\nexecutor = "shell"\n${extra}`;
const A = { REGISTER_RUNNER_HOSTNAME: "hostA" };
const B = { REGISTER_RUNNER_HOSTNAME: "hostB" };
const RECORD = ".register-runner.main.state.json";

/** The template: one GitLab with a personal access token, or a registration token, or both. */
async function template(
  gitlab: FakeGitLab,
  prefix: Prefix,
  with_: { pat?: boolean; registration?: boolean } = { pat: true },
) {
  await prefix.writeTemplate([{
    url: gitlab.url,
    ...(with_.pat ? { personal_access_token: gitlab.tokens.adminPat } : {}),
    ...(with_.registration ? { registration_token: gitlab.tokens.registrationToken } : {}),
  }]);
}

/** What a runner looks like in GitLab, for "untouched" comparisons. */
function shape(r: FakeRunner | undefined) {
  ok(r, "the runner still exists");
  return { id: r.id, description: r.description, tags: [...r.tag_list].sort(), token: r.token };
}

/** Host A's prefix with one synced shell runner, cloned into a new prefix B (a VM image). */
async function clonedImage(
  gitlab: FakeGitLab,
  a: Prefix,
  options: { record?: boolean; registrationToken?: boolean } = {},
): Promise<{ b: Prefix; runnerA: FakeRunner }> {
  await template(gitlab, a, options.registrationToken ? { registration: true } : { pat: true });
  await a.writeExecutor("shell", shellFile(gitlab.url));
  expectOk(await runCli(a, [], A), gitlab);
  const runnerA = gitlab.runners()[0]!;
  equal(runnerA.description, "hostA main shell Runner");
  const b = await Prefix.create();
  await a.copyInto(b);
  if (options.record === false) await Deno.remove(`${b.dir}/${RECORD}`);
  return { b, runnerA };
}

// --- D1: unregister on a cloned prefix -------------------------------------------------------

Deno.test("cloned prefix: unregister --yes deletes none of the other host's runners, naming them", async () => {
  await withSetup({}, async (gitlab, a) => {
    const { b, runnerA } = await clonedImage(gitlab, a);
    try {
      const before = shape(gitlab.runner(runnerA.id));
      const result = await runCli(b, ["unregister", "--yes"], B);
      expectOk(result, gitlab);
      deepEqual(shape(gitlab.runner(runnerA.id)), before, "host A's runner is untouched");
      equal(gitlab.mutations().filter((m) => m.method === "DELETE").length, 0);
      match(
        result.stderr,
        new RegExp(`#${runnerA.id}\\).*host hostA's instance main.*not deleted`),
      );
    } finally {
      await b.cleanup();
    }
  });
});

Deno.test("cloned prefix after B registered its own: unregister --yes deletes only B's runner", async () => {
  await withSetup({}, async (gitlab, a) => {
    const { b, runnerA } = await clonedImage(gitlab, a);
    try {
      expectOk(await runCli(b, [], B), gitlab);
      const runnerB = gitlab.runners().find((r) => r.id !== runnerA.id);
      ok(runnerB, "B registered a runner of its own");
      const result = await runCli(b, ["unregister", "--yes"], B);
      expectOk(result, gitlab);
      deepEqual(gitlab.runners().map((r) => r.id), [runnerA.id], "only B's runner is deleted");
      equal(gitlab.runner(runnerA.id)!.description, "hostA main shell Runner");
    } finally {
      await b.cleanup();
    }
  });
});

// --- D2: cloned images and copied instances ---------------------------------------------------

for (const record of [true, false]) {
  Deno.test(`cloned VM image (record ${record ? "copied" : "absent"}): B registers its own runner, neither host changes the other's, no flip-flop`, async () => {
    await withSetup({}, async (gitlab, a) => {
      const { b, runnerA } = await clonedImage(gitlab, a, { record });
      try {
        const before = shape(gitlab.runner(runnerA.id));
        const first = await runCli(b, [], B);
        expectOk(first, gitlab);
        deepEqual(shape(gitlab.runner(runnerA.id)), before, "B left A's runner alone");
        match(
          first.stderr,
          new RegExp(
            `hostA main shell Runner \\(#${runnerA.id}\\): GitLab accepts its token, but the runner looks like host hostA's instance main.*NOT changed or deleted in GitLab`,
          ),
        );
        const runnerB = gitlab.runners().find((r) => r.id !== runnerA.id);
        ok(runnerB, "B registered its own runner");
        equal(runnerB.description, "hostB main shell Runner");
        deepEqual(sectionsOf(await b.readOutput()).map((s) => [s.name, s.id]), [[
          "hostB main shell Runner",
          runnerB.id,
        ]]);
        const settled = gitlab.mutations().length;
        for (let round = 0; round < 2; round++) {
          expectOk(await runCli(a, [], A), gitlab);
          const again = await runCli(b, [], B);
          expectOk(again, gitlab);
          ok(!/looks like host/.test(again.stderr), "said once: B's config no longer holds it");
        }
        deepEqual(gitlab.mutations().slice(settled), [], "converged: nobody renames anything");
        deepEqual(shape(gitlab.runner(runnerA.id)), before);
        equal(gitlab.runners().length, 2);
      } finally {
        await b.cleanup();
      }
    });
  });
}

Deno.test("cloned VM image without a personal access token: A's runner is not deleted by its token", async () => {
  await withSetup({ allowRegistrationToken: true }, async (gitlab, a) => {
    const { b, runnerA } = await clonedImage(gitlab, a, { record: false, registrationToken: true });
    try {
      const before = shape(gitlab.runner(runnerA.id));
      const result = await runCli(b, [], B);
      expectOk(result, gitlab);
      deepEqual(shape(gitlab.runner(runnerA.id)), before, "B left A's runner alone");
      match(
        result.stderr,
        /looks like host hostA's instance main .*its config section is named so/,
      );
      deepEqual(gitlab.runners().map((r) => r.description).sort(), [
        "hostA main shell Runner",
        "hostB main shell Runner",
      ]);
      equal(gitlab.mutations().filter((m) => m.method === "DELETE").length, 0);
    } finally {
      await b.cleanup();
    }
  });
});

Deno.test("a new instance made by copying main's files: gpu registers its own runner, main's is untouched", async () => {
  await withSetup({}, async (gitlab, main) => {
    await template(gitlab, main);
    await main.writeExecutor("shell", shellFile(gitlab.url));
    expectOk(await runCli(main), gitlab);
    const mainRunner = gitlab.runners()[0]!;
    const before = shape(mainRunner);
    const gpu = main.forInstance("gpu");
    for (
      const [from, to] of [[main.templateFile, gpu.templateFile], [main.outputFile, gpu.outputFile]]
    ) {
      await gpu.writeFile(to!.slice(main.dir.length + 1), await Deno.readTextFile(from!));
    }
    await gpu.writeExecutor("shell", shellFile(gitlab.url));
    await Deno.copyFile(`${main.dir}/${RECORD}`, `${main.dir}/.register-runner.gpu.state.json`);
    const result = await runCli(gpu);
    expectOk(result, gitlab);
    deepEqual(shape(gitlab.runner(mainRunner.id)), before, "main's runner is untouched");
    match(result.stderr, /looks like host node7's instance main/);
    const gpuRunner = gitlab.runners().find((r) => r.id !== mainRunner.id);
    equal(gpuRunner?.description, "node7 gpu shell Runner");
    const settled = gitlab.mutations().length;
    expectOk(await runCli(main), gitlab);
    expectOk(await runCli(gpu), gitlab);
    deepEqual(gitlab.mutations().slice(settled), [], "both instances converged");
  });
});

Deno.test("a verified runner renamed in the UI to a name of no register-runner form is still adopted", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await template(gitlab, prefix);
    await prefix.writeExecutor("shell", shellFile(gitlab.url));
    expectOk(await runCli(prefix), gitlab);
    const id = gitlab.runners()[0]!.id;
    gitlab.updateRunner(id, { description: "my runner" });
    expectOk(await runCli(prefix), gitlab);
    deepEqual(gitlab.runners().map((r) => [r.id, r.description]), [[
      id,
      "node7 main shell Runner",
    ]]);
  });
});

// --- D3: GitLab older than 15.10 (verify says no runner id) ----------------------------------

for (const version of ["15.9", "14.0"]) {
  for (const record of [true, false]) {
    Deno.test(`GitLab ${version}, record ${record ? "kept" : "absent"}: a config id naming another host's runner never makes sync touch it`, async () => {
      await withSetup({ version, allowRegistrationToken: true }, async (gitlab, prefix) => {
        const other = gitlab.addRunner({
          description: "other main shell Runner",
          tag_list: ["other", "main", "shell"],
        });
        await template(gitlab, prefix, { pat: true, registration: true });
        await prefix.writeExecutor("shell", shellFile(gitlab.url));
        expectOk(await runCli(prefix), gitlab);
        const mine = gitlab.runners().find((r) => r.id !== other.id)!;
        const text = (await prefix.readOutput())!;
        // A hand-merged entry: this host's token, the other host's id.
        await prefix.writeFile(
          "config.main.toml",
          text.replace(`id = ${mine.id}`, `id = ${other.id}`),
        );
        if (!record) await Deno.remove(`${prefix.dir}/${RECORD}`);
        const before = shape(other);
        const settled = gitlab.mutations().length;
        expectOk(await runCli(prefix), gitlab);
        deepEqual(shape(gitlab.runner(other.id)), before, "the other host's runner is untouched");
        deepEqual(
          gitlab.mutations().slice(settled).map((m) => `${m.method} ${m.path}`),
          [],
          "ours is kept as it is",
        );
        deepEqual(sectionsOf(await prefix.readOutput()).map((s) => s.id), [mine.id]);
      });
    });
  }

  Deno.test(`GitLab ${version}: unregister --yes with a config id naming another host's runner deletes only ours`, async () => {
    await withSetup({ version, allowRegistrationToken: true }, async (gitlab, prefix) => {
      const other = gitlab.addRunner({
        description: "other main shell Runner",
        tag_list: ["other", "main", "shell"],
      });
      await template(gitlab, prefix, { pat: true, registration: true });
      await prefix.writeExecutor("shell", shellFile(gitlab.url));
      expectOk(await runCli(prefix), gitlab);
      const mine = gitlab.runners().find((r) => r.id !== other.id)!;
      const text = (await prefix.readOutput())!;
      await prefix.writeFile(
        "config.main.toml",
        text.replace(`id = ${mine.id}`, `id = ${other.id}`),
      );
      expectOk(await runCli(prefix, ["unregister", "--yes"]), gitlab);
      deepEqual(gitlab.runners().map((r) => r.id), [other.id]);
      notEqual(other.id, mine.id);
    });
  });
}

// --- D4: one GitLab under two urls without ids to prove it -----------------------------------

const dockerFile = (url: string) =>
  `url = "${url}"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`;

/** One GitLab as `gitlab.url` and an alias, both in the template; shell.toml uses the first. */
async function twoUrls(gitlab: FakeGitLab, prefix: Prefix, dockerOnAlias: boolean) {
  const alias = gitlab.addAlias();
  const pat = gitlab.tokens.adminPat;
  await prefix.writeTemplate([
    { url: gitlab.url, personal_access_token: pat },
    { url: alias, personal_access_token: pat },
  ]);
  await prefix.writeExecutor("shell", shellFile(gitlab.url));
  if (dockerOnAlias) await prefix.writeExecutor("docker", dockerFile(alias));
  return alias;
}

for (const dockerOnAlias of [true, false]) {
  Deno.test(`one GitLab under two urls (${dockerOnAlias ? "both with" : "one without"} executor files), config.toml lost: no url deletes the other's runners`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      // The runners exist (an earlier run with one url per file), the config is lost.
      const alias = await twoUrls(gitlab, prefix, dockerOnAlias);
      gitlab.addRunner({
        description: "node7 main shell Runner",
        tag_list: ["node7", "main", "shell"],
      });
      if (dockerOnAlias) {
        gitlab.addRunner({
          description: "node7 main docker Runner",
          tag_list: ["node7", "main", "docker"],
        });
      }
      const ids = gitlab.runners().map((r) => r.id);
      const result = await runCli(prefix);
      expectOk(result, gitlab);
      deepEqual(gitlab.runners().map((r) => r.id), ids, "nothing deleted");
      equal(gitlab.mutations().filter((m) => m.method === "DELETE").length, 0);
      const url = (u: string) => u.replace(/[.]/g, "\\.");
      match(
        result.stderr,
        new RegExp(
          `node7 main shell Runner \\(#${ids[0]}\\) at ${url(alias)}: NOT deleted .*${
            url(gitlab.url)
          }.* may be the same GitLab`,
        ),
      );
    });
  });
}

for (const record of [true, false]) {
  Deno.test(`one GitLab under two urls, config entries without ids (record ${record ? "kept" : "absent"}): refused (exit 3), nothing deleted`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await twoUrls(gitlab, prefix, true);
      // An empty GitLab: the first run registers one runner per url and deletes nothing.
      expectOk(await runCli(prefix), gitlab);
      const ids = gitlab.runners().map((r) => r.id);
      equal(ids.length, 2);
      // Entries without ids (the Python tool's, or written by hand).
      const text = (await prefix.readOutput())!.replace(/^\s*id = \d+\n/gm, "");
      await prefix.writeFile("config.main.toml", text);
      // Without a record only verify's runner id says which runner each token is.
      if (!record) await Deno.remove(`${prefix.dir}/${RECORD}`);
      const result = await runCli(prefix);
      equal(result.code, 3, result.stderr);
      match(result.stderr, /reach the same GitLab/);
      deepEqual(gitlab.runners().map((r) => r.id), ids, "nothing deleted");
      equal(gitlab.mutations().filter((m) => m.method === "DELETE").length, 0);
    });
  });
}

for (const proof of ["the record", "its config entry", "nothing"]) {
  Deno.test(`two distinct GitLabs, a file moved from one to the other, proven by ${proof}: ${proof === "nothing" ? "the old runner is kept and named" : "the old runner is deleted"}`, async () => {
    await withSetup({}, async (first, prefix) => {
      const second = await startFakeGitLab({});
      try {
        await prefix.writeTemplate([
          { url: first.url, personal_access_token: first.tokens.adminPat },
          { url: second.url, personal_access_token: second.tokens.adminPat },
        ]);
        await prefix.writeExecutor("shell", shellFile(second.url));
        await prefix.writeExecutor("docker", dockerFile(first.url));
        expectOk(await runCli(prefix), first);
        const old = first.runners()[0]!;
        equal(old.description, "node7 main docker Runner");
        await prefix.writeExecutor("docker", dockerFile(second.url));
        if (proof !== "the record") await Deno.remove(`${prefix.dir}/${RECORD}`);
        if (proof === "nothing") await Deno.remove(prefix.outputFile);
        const result = await runCli(prefix);
        expectOk(result, first);
        equal(second.runners().length, 2, "docker.toml got its runner on the second GitLab");
        if (proof === "nothing") {
          ok(first.runner(old.id), "no proof it is the first url's: kept");
          match(result.stderr, /may be the same GitLab/);
        } else {
          equal(first.runner(old.id), undefined, "the first url's own runner is deleted");
        }
      } finally {
        await second.close();
      }
    });
  });
}

// --- D5: a quarantined file keeps its runner through the ownership record --------------------

/** The `[[runners]]` section named `name` in config text, as written. */
function sectionText(text: string | undefined, name: string): string | undefined {
  const parts = (text ?? "").split(/^(?=\[\[runners\]\])/m);
  return parts.find((p) => p.includes(`name = "${name}"`));
}

for (const key of ["ci", "shell"]) {
  Deno.test(`a quarantined ${key}.toml with the single-form name keeps its runner when build.toml (same type) is added`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await template(gitlab, prefix);
      await prefix.writeExecutor(key, shellFile(gitlab.url, 'builds_dir = "/old"\n'));
      expectOk(await runCli(prefix), gitlab);
      const runner = gitlab.runners()[0]!;
      const before = shape(runner);
      const section = sectionText(await prefix.readOutput(), "node7 main shell Runner");
      ok(section?.includes('builds_dir = "/old"'));

      await prefix.writeExecutor(key, shellFile(gitlab.url) + "this is = = broken\n");
      await prefix.writeExecutor("build", shellFile(gitlab.url, 'builds_dir = "/new"\n'));
      const broken = await runCli(prefix);
      expectOk(broken, gitlab);
      deepEqual(shape(gitlab.runner(runner.id)), before, `${key}.toml's runner is untouched`);
      ok(!/MOVE/.test(broken.stdout + broken.stderr), "no move of a quarantined file's runner");
      const text = await prefix.readOutput();
      equal(
        sectionText(text, "node7 main shell Runner"),
        section,
        "its section is kept byte for byte",
      );
      const build = gitlab.runners().find((r) => r.id !== runner.id);
      equal(build?.description, "node7 main shell build Runner", "build.toml gets its own runner");

      await prefix.writeExecutor(key, shellFile(gitlab.url, 'builds_dir = "/old"\n'));
      const fixed = await runCli(prefix);
      expectOk(fixed, gitlab);
      equal(gitlab.runner(runner.id)?.token, before.token, "its token is not reset");
      equal(gitlab.runner(runner.id)?.description, `node7 main shell ${key} Runner`);
      deepEqual(gitlab.runners().map((r) => r.id).sort(), [runner.id, build!.id].sort());
      equal(
        gitlab.mutations().filter((m) => m.path.includes("reset_authentication_token")).length,
        0,
      );
    });
  });
}
