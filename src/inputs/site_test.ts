import assert from "node:assert/strict";
import { join } from "node:path";
import { InputErrors } from "./problems.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { FAKE_PAT, MINIMAL_SITE, MINIMAL_TEMPLATE, Prefix } from "../../tests/support/prefix.ts";
import { tempDir } from "../../tests/support/temp.ts";

const SHELL = 'url = "https://gitlab.example.com"\nexecutor = "shell"\n';

Deno.test("loadSite: a minimal valid prefix gives typed clients, executors and globals", async () => {
  const prefix = (await Prefix.create({
    ...MINIMAL_SITE,
    executors: {
      "shell.toml": SHELL + 'env_tags = ["SYS_TYPE"]\ntags = ["batch"]\n',
      "docker.toml": 'url = "https://GitLab.Example.com/"\nexecutor = "docker"\nlimit = 2\n' +
        'locked = true\nmaximum_timeout = 3600\n[docker]\nimage = "alpine"\n',
    },
  })).dir;
  const { site, warnings } = await loadSite({ prefix, instance: "main", env: testEnv() });
  assert.deepEqual(warnings, []);
  assert.equal(site.prefix, prefix);
  assert.equal(site.templateFile, join(prefix, "config.template.main.toml"));
  assert.equal(site.executorDir, join(prefix, "main"));
  assert.equal(site.outputFile, join(prefix, "config.main.toml"));
  assert.deepEqual(site.globals, { concurrent: 2 });
  assert.equal(site.clients.length, 1);
  const client = site.clients[0]!;
  assert.equal(client.url, "https://gitlab.example.com");
  assert.equal(client.key, "https://gitlab.example.com");
  assert.equal(client.apiBase, "https://gitlab.example.com/api/v4");
  assert.equal(client.personalAccessToken?.reveal(), FAKE_PAT);
  assert.equal(client.registrationToken, undefined);
  assert.deepEqual(client.source, { file: site.templateFile, key: "client_configs[0]", line: 3 });
  assert.deepEqual(site.executors.map((e) => e.key), ["docker", "shell"]);
  const [docker, shell] = site.executors;
  assert.deepEqual(docker, {
    key: "docker",
    file: join(prefix, "main", "docker.toml"),
    clientKey: "https://gitlab.example.com",
    executor: "docker",
    envTags: [],
    extraTags: [],
    attributes: { run_untagged: false, locked: true, paused: false, maximum_timeout: 3600 },
    runnerKeys: { limit: 2, docker: { image: "alpine" } },
  });
  assert.deepEqual(shell?.envTags, ["SYS_TYPE"]);
  assert.deepEqual(shell?.extraTags, ["batch"]);
  assert.deepEqual(shell?.runnerKeys, {});
});

Deno.test("loadSite: the Python tool's sample template is refused with both placeholders named", async () => {
  const template = [
    "concurrent = 8",
    "check_interval = 0",
    "",
    "client_configs = [",
    "  {",
    '    url = "https://gitlab.example.com",',
    '    registration_token = "{registration_token}",',
    '    personal_access_token = "{personal_access_token}"',
    "  }",
    "]",
    "",
  ].join("\n");
  const prefix = (await Prefix.create({ template, executors: { "shell.toml": SHELL } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.ok(error instanceof InputErrors, shown(error));
  assert.equal(error.problems.length, 2);
  const [pat, reg] = error.problems.map((p) => p.message);
  assert.match(
    pat!,
    /key `client_configs\[0\]\.personal_access_token` \(line 8\): is the placeholder "\{personal_access_token\}"/,
  );
  assert.match(
    reg!,
    /key `client_configs\[0\]\.registration_token` \(line 7\): is the placeholder/,
  );
  assert.match(error.problems[0]!.hint ?? "", /personal_access_token_file/);
});

Deno.test("loadSite: problems in several files are all reported in one InputErrors", async () => {
  const prefix = (await Prefix.create({
    ...MINIMAL_SITE,
    executors: {
      "a.toml": 'url = "https://other.example.com"\nexecutor = "shell"\n',
      "b.toml": 'url = "https://gitlab.example.com"\n',
      "c.toml": "executor = [",
    },
  })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.ok(error instanceof InputErrors);
  const text = error.problems.map((p) => p.message).join("\n");
  assert.match(
    text,
    /a\.toml: key `url` \(line 1\): "https:\/\/other\.example\.com" matches no client_configs url \(known: https:\/\/gitlab\.example\.com\)/,
  );
  assert.match(text, /b\.toml: key `executor`: is missing/);
  assert.match(text, /Invalid TOML in .*c\.toml at line 1, column/);
  assert.match(error.message, /^3 problems in the input files:\n1\. /);
  assert.equal(error.exitCode, 3);
});

Deno.test("loadSite: instance names follow systemd's rules", async () => {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: {} })).dir;
  for (const instance of ["", "../etc", "a/b", "-x", "main service"]) {
    const error = await inputErrorOf(() => loadSite({ prefix, instance, env: testEnv() }));
    assert.match(error.message, /invalid service instance name/);
  }
  const ok = (await Prefix.create({
    instance: "gpu.node_1@x-y",
    template: MINIMAL_TEMPLATE,
    executors: {},
    files: { pat: FAKE_PAT },
  })).dir;
  const { site } = await loadSite({ prefix: ok, instance: "gpu.node_1@x-y", env: testEnv() });
  assert.equal(site.executors.length, 0);
});

Deno.test("loadSite: a missing prefix, template or executor directory says what to create", async () => {
  const missing = await inputErrorOf(() =>
    loadSite({ prefix: "/nonexistent/prefix", instance: "main", env: testEnv() })
  );
  assert.match(missing.message, /prefix \/nonexistent\/prefix does not exist/);

  const noTemplate = (await Prefix.create({ executors: { "shell.toml": SHELL } })).dir;
  const e1 = await inputErrorOf(() =>
    loadSite({ prefix: noTemplate, instance: "main", env: testEnv() })
  );
  assert.match(e1.message, /config\.template\.main\.toml: does not exist/);
  assert.match(e1.hint ?? "", /\[\[client_configs\]\]/);

  const noDir = (await Prefix.create({ template: MINIMAL_TEMPLATE, files: { pat: FAKE_PAT } })).dir;
  const e2 = await inputErrorOf(() =>
    loadSite({ prefix: noDir, instance: "main", env: testEnv() })
  );
  assert.match(e2.message, /executor directory .*\/main does not exist/);
  assert.match(e2.hint ?? "", /mkdir -m 700 .*\/main/);
});

Deno.test("loadSite: an empty executor directory means zero runners", async () => {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: {} })).dir;
  const { site } = await loadSite({ prefix, instance: "main", env: testEnv() });
  assert.deepEqual(site.executors, []);
});

Deno.test("loadSite: hidden files, other files and subdirectories are skipped with a debug note", async () => {
  const prefix = (await Prefix.create({
    ...MINIMAL_SITE,
    executors: {
      "shell.toml": SHELL,
      ".#shell.toml": "garbage [",
      "README.md": "not toml",
      "shell.toml~": "garbage [",
      "sub/inner.toml": "garbage [",
    },
  })).dir;
  await Deno.mkdir(join(prefix, "main", "dir.toml"));
  const env = testEnv();
  const { site } = await loadSite({ prefix, instance: "main", env });
  assert.deepEqual(site.executors.map((e) => e.key), ["shell"]);
  const skipped = env.logger.lines.filter((l) => l.level === "debug").map((l) =>
    String(l.fields?.path)
  );
  assert.equal(skipped.length, 5);
  assert.ok(skipped.some((p) => p.endsWith("/main/dir.toml")));
});

Deno.test("loadSite: executor files may be symlinks to regular files anywhere", async () => {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: {} })).dir;
  const outside = await tempDir();
  await Deno.writeTextFile(join(outside, "real.toml"), SHELL, { mode: 0o600 });
  await Deno.symlink(join(outside, "real.toml"), join(prefix, "main", "linked.toml"));
  const { site } = await loadSite({ prefix, instance: "main", env: testEnv() });
  assert.deepEqual(site.executors.map((e) => e.key), ["linked"]);

  await Deno.symlink(join(outside, "gone.toml"), join(prefix, "main", "dangling.toml"));
  await Deno.symlink(outside, join(prefix, "main", "dirlink.toml"));
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.ok(error instanceof InputErrors);
  assert.match(
    error.problems[0]!.message,
    /dangling\.toml \(a symbolic link to .*gone\.toml\) points at nothing/,
  );
  assert.match(
    error.problems[1]!.message,
    /dirlink\.toml \(a symbolic link to .*\) is not a regular file/,
  );
});

Deno.test("loadSite: executor file stems must be usable runner keys", async () => {
  const prefix =
    (await Prefix.create({ ...MINIMAL_SITE, executors: { "my runner.toml": SHELL } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.match(error.message, /"my runner" is not a usable executor file name/);
});

Deno.test("loadSite: nothing in an error or warning shows a secret", async () => {
  const template = MINIMAL_TEMPLATE.replace(
    'personal_access_token_file = "pat"',
    `personal_access_token = "${FAKE_PAT}"\nregistration_token_file = "pat"`,
  ) +
    `\nbogus = "${FAKE_PAT}"\n`;
  const prefix = (await Prefix.create({ template, executors: {}, files: { pat: FAKE_PAT } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.doesNotMatch(shown(error), /glpat-fake/);
  const broken = (await Prefix.create({
    template:
      `[[client_configs]]\nurl = "https://x.example"\npersonal_access_token = "${FAKE_PAT}\n`,
    executors: {},
  })).dir;
  const syntax = await inputErrorOf(() =>
    loadSite({ prefix: broken, instance: "main", env: testEnv() })
  );
  assert.match(syntax.message, /Invalid TOML/);
  assert.doesNotMatch(shown(syntax), /glpat-fake/);
  assert.equal(syntax.cause, undefined);
});
