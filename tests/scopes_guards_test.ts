/**
 * End-to-end guards of group and project scopes against a GitLab that refuses runner details
 * (403): this host's runners are never given up (no registration storm, no orphans), runners of
 * a former group are named when left behind, and the hints and warnings speak of the scope.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DENO_RUN_CLI, HOST, ROOT, runCli } from "./support/cli.ts";
import { expectOk, sectionsOf, withSetup, writeExecutor } from "./support/e2e.ts";
import { addAccessToken, addGroup, addProject } from "./support/fake_gitlab/groups.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import type { Prefix, TemplateClient } from "./support/prefix.ts";

const RUNNER_SCOPES = ["create_runner", "manage_runner", "read_api"];

/** `hpc` ⊃ `hpc/a`, `hpc/b`; project `hpc/a/p1`. */
function namespaces(gitlab: FakeGitLab) {
  const top = addGroup(gitlab.state, { name: "HPC", path: "hpc" });
  const a = addGroup(gitlab.state, { name: "A", path: "a", parent_id: top.id });
  const b = addGroup(gitlab.state, { name: "B", path: "b", parent_id: top.id });
  const p1 = addProject(gitlab.state, { name: "P1", path: "p1", group_id: a.id });
  return { top, a, b, p1 };
}

function accessToken(
  gitlab: FakeGitLab,
  kind: "group" | "project",
  id: number,
  role: "owner" | "maintainer",
): string {
  return addAccessToken(gitlab.state, kind, id, role, { scopes: RUNNER_SCOPES });
}

async function site(
  gitlab: FakeGitLab,
  prefix: Prefix,
  token: string,
  scope: Pick<TemplateClient, "group" | "project">,
): Promise<void> {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: token, ...scope }]);
}

function ids(gitlab: FakeGitLab): number[] {
  return gitlab.runners().map((r) => r.id).sort((x, y) => x - y);
}

function refuseDetails(gitlab: FakeGitLab): void {
  gitlab.addFault({
    method: "GET",
    path: /^\/runners\/\d+$/,
    kind: "status",
    status: 403,
    times: Infinity,
  });
}

for (
  const [kind, role, path] of [
    ["group", "owner", "hpc/a"],
    ["project", "maintainer", "hpc/a/p1"],
  ] as const
) {
  Deno.test(`${kind} scope: this host's listed runner refusing its details (403) is held, not replaced, run after run`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const { a, p1 } = namespaces(gitlab);
      const token = accessToken(gitlab, kind, kind === "group" ? a.id : p1.id, role);
      await site(gitlab, prefix, token, { [kind]: path });
      await writeExecutor(gitlab, prefix, "shell");
      await writeExecutor(gitlab, prefix, "cpu");
      expectOk(await runCli(prefix), gitlab, [token]);
      const before = ids(gitlab);
      equal(before.length, 2);
      const section = sectionsOf(await prefix.readOutput());
      refuseDetails(gitlab);
      for (let run = 0; run < 2; run++) {
        const result = await runCli(prefix);
        expectOk(result, gitlab, [token]);
        match(result.stderr, new RegExp(`runner\\(s\\) #${before[0]}, #${before[1]}: .*403`));
        deepEqual(ids(gitlab), before, "no runner registered, none deleted");
        deepEqual(sectionsOf(await prefix.readOutput()), section, "the config section is kept");
      }
      // Also after the executor file is gone: the refused runner is not deleted either.
      await prefix.removeExecutor("cpu");
      expectOk(await runCli(prefix), gitlab, [token]);
      deepEqual(ids(gitlab), before);
    });
  });
}

Deno.test("group A → group B, B's token may not read A's runners: they are named as left in GitLab, never 'no longer exists'", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { a, b } = namespaces(gitlab);
    const ta = accessToken(gitlab, "group", a.id, "owner");
    const tb = accessToken(gitlab, "group", b.id, "owner");
    await site(gitlab, prefix, ta, { group: "hpc/a" });
    await writeExecutor(gitlab, prefix, "shell");
    expectOk(await runCli(prefix), gitlab, [ta, tb]);
    const [old] = ids(gitlab);
    await site(gitlab, prefix, tb, { group: "hpc/b" });
    const plan = await runCli(prefix, ["plan"]);
    ok(!/no longer exists/.test(plan.stdout + plan.stderr), plan.stdout);
    match(plan.stdout + plan.stderr, /403/);
    const result = await runCli(prefix, ["--output", "json"]);
    expectOk(result, gitlab, [ta, tb]);
    const warnings: string[] = JSON.parse(result.stdout).warnings;
    const named = warnings.find((w) => w.includes(`(#${old})`));
    ok(named, JSON.stringify(warnings));
    match(named, /left in GitLab, NOT deleted/);
    match(named, /403/);
    ok(!/no longer exists/.test(result.stdout + result.stderr));
    ok(gitlab.runner(old!), "the old runner is left in GitLab");
    const mine = gitlab.runners().filter((r) => r.group_ids.includes(b.id));
    equal(mine.length, 1);
    deepEqual(sectionsOf(await prefix.readOutput()).map((s) => s.id), [mine[0]!.id]);
  });
});

Deno.test("parent group → subgroup, the subgroup's token may not read the parent's runners: held with a warning, nothing orphaned", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { top, a } = namespaces(gitlab);
    const tt = accessToken(gitlab, "group", top.id, "owner");
    const ta = accessToken(gitlab, "group", a.id, "owner");
    await site(gitlab, prefix, tt, { group: "hpc" });
    await writeExecutor(gitlab, prefix, "shell");
    expectOk(await runCli(prefix), gitlab, [tt, ta]);
    const before = ids(gitlab);
    await site(gitlab, prefix, ta, { group: "hpc/a" });
    const result = await runCli(prefix, ["--output", "json"]);
    expectOk(result, gitlab, [tt, ta]);
    const warnings: string[] = JSON.parse(result.stdout).warnings;
    ok(warnings.some((w) => w.includes(`#${before[0]}`) && w.includes("403")), result.stdout);
    deepEqual(ids(gitlab), before);
    ok(!/no longer exists/.test(result.stdout + result.stderr));
  });
});

Deno.test("a listed ancestor group's runner without a token here (403) is still skipped quietly", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { top, a } = namespaces(gitlab);
    const ta = accessToken(gitlab, "group", a.id, "owner");
    const parent = gitlab.addRunner({
      description: `${HOST} main shell Runner`,
      tag_list: [HOST, "main", "shell"],
      runner_type: "group_type",
      group_ids: [top.id],
    });
    await site(gitlab, prefix, ta, { group: "hpc/a" });
    await writeExecutor(gitlab, prefix, "shell");
    const result = await runCli(prefix);
    expectOk(result, gitlab, [ta]);
    ok(!/403/.test(result.stderr), result.stderr);
    deepEqual(gitlab.runner(parent.id), parent);
    equal(gitlab.runners().filter((r) => r.group_ids.includes(a.id)).length, 1);
  });
});

for (
  const [kind, role, path, wanted] of [
    ["group", "owner", "hpc/a", /Owner role in its group/],
    ["project", "maintainer", "hpc/a/p1", /Maintainer role in the project/],
  ] as const
) {
  Deno.test(`${kind} scope: a 403 deleting a runner names the ${kind}'s role and manage_runner, not administrators`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const { a, p1 } = namespaces(gitlab);
      const token = accessToken(gitlab, kind, kind === "group" ? a.id : p1.id, role);
      await site(gitlab, prefix, token, { [kind]: path });
      await writeExecutor(gitlab, prefix, "shell");
      await writeExecutor(gitlab, prefix, "cpu");
      expectOk(await runCli(prefix), gitlab, [token]);
      await prefix.removeExecutor("cpu");
      gitlab.addFault({
        method: "DELETE",
        path: /^\/runners\/\d+$/,
        kind: "status",
        status: 403,
        times: Infinity,
      });
      const result = await runCli(prefix);
      ok(result.code !== 0, result.stderr);
      match(result.stderr, wanted);
      match(result.stderr, /manage_runner/);
      ok(!/administrator/.test(result.stderr), result.stderr);
    });
  });
}

const STEPPED_CLI = [...DENO_RUN_CLI.slice(0, -1), `${ROOT}tests/support/stepped_clock_cli.ts`];

for (
  const [skewDays, inDays, warned] of [
    [-30, 3, true],
    [3650, 60, false],
  ] as const
) {
  Deno.test(`the access token's expiry is judged by GitLab's clock: host ${skewDays} days off, expiring in ${inDays} days, ${warned ? "" : "not "}warned`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      const { a } = namespaces(gitlab);
      const date = new Date(Date.now() + inDays * 86_400_000).toISOString().slice(0, 10);
      const token = addAccessToken(gitlab.state, "group", a.id, "owner", {
        scopes: RUNNER_SCOPES,
        expires_at: date,
      });
      await site(gitlab, prefix, token, { group: "hpc/a" });
      await writeExecutor(gitlab, prefix, "shell");
      const result = await runCli(prefix, [], {
        REGISTER_RUNNER_TEST_SKEW_MS: String(skewDays * 86_400_000),
      }, { command: STEPPED_CLI });
      expectOk(result, gitlab, [token]);
      equal(new RegExp(`expires on ${date}|expired`).test(result.stderr), warned, result.stderr);
    });
  });
}
