/**
 * Per-file degradation: a problem confined to one executor file (TOML syntax, a bad key value, an
 * unknown url, a tag-schema violation, a special or oversized file, a 403 or 410 for its
 * registration) leaves that file's runner as it was — its last good `[[runners]]` section byte
 * for byte, nothing registered, updated or deleted for it — while the rest syncs and the run
 * exits 0 with a warning naming the file and line. `--strict` and `check` exit 3; problems not
 * confined to one file, or every file bad, still fail.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, runCli } from "./support/cli.ts";
import {
  assertNoSecrets,
  countRequests,
  expectOk,
  leftovers,
  ownRunners,
  secretsOf,
  withSetup,
  writeExecutor,
  writeSite,
} from "./support/e2e.ts";
import type { Prefix } from "./support/prefix.ts";

const NAMES = ["shell", "cpu", "gpu"];
const GPU = `${HOST} main docker gpu Runner`;
const CPU = `${HOST} main docker cpu Runner`;

/** The `[[runners]]` section named `name` in a config text, as written (a test-side slicer). */
function section(text: string | undefined, name: string): string | undefined {
  ok(text !== undefined, "the config exists");
  return text.split(/\n(?=\[\[runners\]\])/).find((s) =>
    s.startsWith("[[runners]]") && s.includes(`\n  name = ${JSON.stringify(name)}\n`)
  )?.trimEnd();
}

/** Syncs the standard site once (`gpu` may replace gpu.toml); returns the config text. */
async function goodConfig(
  gitlab: FakeGitLab,
  prefix: Prefix,
  options: { gpu?: string; args?: string[] } = {},
): Promise<string> {
  await writeSite(gitlab, prefix, NAMES);
  if (options.gpu !== undefined) await prefix.writeExecutor("gpu", options.gpu);
  expectOk(await runCli(prefix, options.args ?? []), gitlab);
  return (await prefix.readOutput())!;
}

/**
 * Breaks gpu.toml with `body` (after a good sync), changes cpu.toml (so the rest has something to
 * sync), runs sync, and checks the common promises; returns the run's result.
 */
async function degrade(
  gitlab: FakeGitLab,
  prefix: Prefix,
  body: string | ((prefix: Prefix) => Promise<void>),
  args: string[] = [],
  env: Record<string, string> = {},
  gpuBody?: string,
) {
  const good = await goodConfig(gitlab, prefix, {
    args,
    ...(gpuBody === undefined ? {} : { gpu: gpuBody }),
  });
  const gpu = ownRunners(gitlab).find((r) => r.description === GPU)!;
  ok(gpu, "the gpu runner exists");
  if (typeof body === "string") await prefix.writeExecutor("gpu", body);
  else await body(prefix);
  await prefix.writeExecutor(
    "cpu",
    `url = "${gitlab.url}"\nexecutor = "docker"\ntags = ["more"]\n[docker]\nimage = "alpine:3"\n`,
  );
  const from = gitlab.requests.length;
  const result = await runCli(prefix, args, env);
  equal(result.code, 0, result.stderr);
  assertNoSecrets(result.stdout + result.stderr, secretsOf(gitlab));
  match(result.stderr, /^warn: .*gpu\.toml.*left as it was/m);
  const after = await prefix.readOutput();
  equal(section(after, GPU), section(good, GPU), "gpu's section is kept byte for byte");
  ok(section(good, GPU)!.length > 50, "there was a gpu section");
  equal(countRequests(gitlab, "DELETE", /.*/, from), 0, "nothing deleted");
  ok(gitlab.runner(gpu.id), "the gpu runner still exists");
  equal(gitlab.runner(gpu.id)!.token, gpu.token, "its token is untouched");
  const cpu = ownRunners(gitlab).find((r) => r.description === CPU);
  ok(cpu, "cpu keeps its description (no rename to the single form)");
  ok(cpu.tag_list.includes("more"), "the rest is synced: cpu got its new tag");
  equal(ownRunners(gitlab).length, 3, "nothing registered");
  deepEqual(await leftovers(prefix), []);
  return { result, good, after };
}

Deno.test("quarantine: a TOML syntax error in one file keeps its section, the rest syncs, exit 0", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { result } = await degrade(gitlab, prefix, `url = "${gitlab.url}"\nexecutor = [\n`);
    match(result.stderr, /^warn: .*gpu\.toml.*line 3/m);
    match(result.stdout, /quarantined: .*gpu\.toml/);
    match(result.stdout, new RegExp(`held +${GPU}`));
  });
});

Deno.test("quarantine: an invalid key value", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { result } = await degrade(
      gitlab,
      prefix,
      `url = "${gitlab.url}"\nexecutor = "docker"\nlocked = "yes"\n[docker]\nimage = "cuda"\n`,
    );
    match(result.stderr, /^warn: .*gpu\.toml: key `locked` \(line 3\)/m);
  });
});

Deno.test("quarantine: an unknown url", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { result } = await degrade(
      gitlab,
      prefix,
      `url = "https://elsewhere.example"\nexecutor = "docker"\n[docker]\nimage = "cuda"\n`,
    );
    match(result.stderr, /^warn: .*gpu\.toml: key `url` \(line 1\).*matches no client_configs/m);
  });
});

Deno.test("quarantine: a special file (FIFO) and an oversized file", async () => {
  for (
    const make of [
      async (prefix: Prefix) => {
        const path = `${prefix.dir}/main/gpu.toml`;
        await Deno.remove(path);
        const made = await new Deno.Command("mkfifo", { args: ["-m", "600", path] }).output();
        ok(made.success, "mkfifo");
      },
      async (prefix: Prefix) => {
        await prefix.writeExecutor("gpu", `# ${"x".repeat(9 * 1024 * 1024)}\n`);
      },
    ]
  ) {
    await withSetup({}, async (gitlab, prefix) => {
      await degrade(gitlab, prefix, make);
    });
  }
});

Deno.test("quarantine: a tag-schema violation of one file", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const schema = `${prefix.dir}/schema.json`;
    await Deno.writeTextFile(
      schema,
      JSON.stringify({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        not: {
          required: ["custom"],
          properties: { custom: { contains: { const: "custom_bad" } } },
        },
        "custom-name": "custom",
      }),
    );
    await Deno.chmod(schema, 0o600);
    const body = `url = "${gitlab.url}"\nexecutor = "docker"\nenv_tags = ["GPU_STATE"]\n` +
      `tags = ["gpu"]\n[docker]\nimage = "cuda"\n`;
    const { result } = await degrade(
      gitlab,
      prefix,
      async () => {},
      ["--tag-schema", schema],
      { GPU_STATE: "bad" },
      body,
    );
    match(result.stderr, /^warn: .*gpu\.toml: the tag properties do not satisfy the tag schema/m);
  });
});

Deno.test("quarantine: GitLab refuses one file's registration with 403; its previous section is kept", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    const gpu = ownRunners(gitlab).find((r) => r.description === GPU)!;
    gitlab.deleteRunner(gpu.id); // gone from GitLab: sync registers it again …
    gitlab.addFault({
      kind: "status",
      method: "POST",
      path: "/user/runners",
      status: 403,
      body: '{"message":"403 Forbidden"}',
    }); // … and GitLab refuses
    await prefix.writeExecutor(
      "cpu",
      `url = "${gitlab.url}"\nexecutor = "docker"\ntags = ["more"]\n[docker]\nimage = "alpine:3"\n`,
    ); // a change the rest of the run applies
    const result = await runCli(prefix);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^warn: .*gpu\.toml: GitLab refused to register its runner: .*403/m);
    assertNoSecrets(result.stdout + result.stderr, secretsOf(gitlab));
    const after = await prefix.readOutput();
    equal(section(after, GPU), section(good, GPU), "gpu's last good section is kept");
    equal(ownRunners(gitlab).filter((r) => r.description === GPU).length, 0, "none registered");
    ok(ownRunners(gitlab).find((r) => r.description === CPU)?.tag_list.includes("more"));
  });
});

Deno.test("quarantine: a 410 for a new file's registration-token registration leaves it absent", async () => {
  await withSetup({ allowRegistrationToken: true }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    await writeExecutor(gitlab, prefix, "shell");
    await writeExecutor(gitlab, prefix, "cpu");
    expectOk(await runCli(prefix), gitlab);
    const good = (await prefix.readOutput())!;
    await writeExecutor(gitlab, prefix, "extra");
    gitlab.addFault({
      kind: "status",
      method: "POST",
      path: "/runners",
      status: 410,
      body: '{"message":"410 Gone - runner registration disallowed"}',
    });
    const result = await runCli(prefix);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^warn: .*extra\.toml: GitLab refused to register its runner: .*410/m);
    equal(await prefix.readOutput(), good, "nothing new: the config is as it was");
    equal(ownRunners(gitlab).length, 2);
    equal(countRequests(gitlab, "DELETE", /.*/), 0);
  });
});

Deno.test("quarantine: --strict fails with exit 3 and leaves the config byte-identical", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    await prefix.writeExecutor("gpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    const from = gitlab.requests.length;
    const result = await runCli(prefix, ["--strict"]);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /^error: .*gpu\.toml/m);
    equal(await prefix.readOutput(), good);
    equal(gitlab.requests.length, from, "GitLab not contacted");
  });
});

Deno.test("quarantine: check always exits 3 on such a file", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await goodConfig(gitlab, prefix);
    await prefix.writeExecutor("gpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    const result = await runCli(prefix, ["check"]);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /gpu\.toml/);
  });
});

Deno.test("quarantine: every executor file bad fails the run, config untouched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    for (const name of NAMES) {
      await prefix.writeExecutor(name, `url = "${gitlab.url}"\nexecutor = [\n`);
    }
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    equal(await prefix.readOutput(), good);
  });
});

Deno.test("quarantine: a template problem is not confined to a file and still fails", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const good = await goodConfig(gitlab, prefix);
    await prefix.writeExecutor("gpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    await prefix.writeFile("config.template.main.toml", "concurrent = [\n");
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    equal(await prefix.readOutput(), good);
  });
});

Deno.test("quarantine: --output json lists the quarantined files; plan holds the runner", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await goodConfig(gitlab, prefix);
    await prefix.writeExecutor("gpu", `url = "${gitlab.url}"\nexecutor = [\n`);
    const planned = await runCli(prefix, ["plan"]);
    equal(planned.code, 0, planned.stderr);
    match(planned.stdout, new RegExp(`hold +${GPU}`));
    const result = await runCli(prefix, ["--output", "json"]);
    equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    equal(doc.quarantined.length, 1);
    equal(doc.quarantined[0].key, "gpu");
    match(doc.quarantined[0].file, /main\/gpu\.toml$/);
    equal(doc.quarantined[0].problems[0].where.line, 3);
    deepEqual(doc.clients[0].deletions, []);
  });
});
