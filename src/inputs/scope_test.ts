import assert from "node:assert/strict";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { FAKE_PAT, MINIMAL_TEMPLATE, Prefix } from "../../tests/support/prefix.ts";

const SHELL = 'url = "https://gitlab.example.com"\nexecutor = "shell"\n';

async function load(extra: string, executor = SHELL, pat = true) {
  const template = (pat ? MINIMAL_TEMPLATE : MINIMAL_TEMPLATE.replace(
    'personal_access_token_file = "pat"',
    'registration_token_file = "pat"',
  )) + extra;
  const prefix = await Prefix.create({
    template,
    files: { pat: `${FAKE_PAT}\n` },
    executors: { "shell.toml": executor },
  });
  return loadSite({ prefix: prefix.dir, instance: "main", env: testEnv() });
}

Deno.test("client_configs group and project: a full path or an id", async () => {
  assert.deepEqual((await load('group = "hpc/cluster-a"\n')).site.clients[0]!.scope, {
    kind: "group",
    ref: "hpc/cluster-a",
  });
  assert.deepEqual((await load("group = 12\n")).site.clients[0]!.scope, { kind: "group", ref: 12 });
  assert.deepEqual((await load('project = "hpc/a/ci"\n')).site.clients[0]!.scope, {
    kind: "project",
    ref: "hpc/a/ci",
  });
  assert.equal((await load("")).site.clients[0]!.scope, undefined, "instance runners");
});

Deno.test("client_configs group and project: refused values name the key and the fix", async () => {
  const cases: [string, RegExp][] = [
    ['group = "a"\nproject = "a/b"\n', /project.*is set together with `group`/],
    ['group = "12"\n', /is the string "12"; an id is written as a number/],
    ["group = 0\n", /must be a positive id/],
    ['group = "/hpc/"\n', /is not a group path/],
    ['group = "https://gitlab.example.com/hpc"\n', /is not a group path/],
    ['project = "ci"\n', /is not a project path \(namespace\/project\)/],
    ["group = true\n", /must be a string or an integer/],
  ];
  for (const [extra, expected] of cases) {
    assert.match(shown(await inputErrorOf(() => load(extra))), expected, extra);
  }
});

Deno.test("client_configs group: needs an access token, not only a registration token", async () => {
  const error = await inputErrorOf(() => load('group = "hpc"\n', SHELL, false));
  assert.match(shown(error), /group.*needs a personal_access_token/);
});

Deno.test("an executor file cannot set group or project: the template's entry does", async () => {
  for (const key of ["group", "project"]) {
    const error = await inputErrorOf(() => load("", `${SHELL}${key} = "hpc/x"\n`));
    assert.match(shown(error), new RegExp(`${key}.*must not be set: .*client_configs entry`));
  }
});
