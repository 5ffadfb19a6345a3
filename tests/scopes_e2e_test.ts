/**
 * End-to-end: group and project runners (`group` / `project` in client_configs) with the least
 * privileged tokens GitLab allows, the token's scope check before anything changes, its expiry
 * warning, and that runners of other groups, ancestor groups and the instance are never touched.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { HOST, runCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  expectOk,
  sectionsOf,
  withSetup,
  writeExecutor,
} from "./support/e2e.ts";
import {
  addAccessToken,
  addGroup,
  addMember,
  addProject,
  addToken,
  addUser,
} from "./support/fake_gitlab/groups.ts";
import { type FakeGitLab, optionsForVersion } from "./support/fake_gitlab/server.ts";
import type { FakeRunner } from "./support/fake_gitlab/state.ts";
import type { Prefix, TemplateClient } from "./support/prefix.ts";

const RUNNER_SCOPES = ["create_runner", "manage_runner", "read_api"];
const DESCRIPTIONS = [`${HOST} main docker Runner`, `${HOST} main shell Runner`];

/** `hpc` ⊃ `hpc/cluster` ⊃ project `hpc/cluster/ci`, and an unrelated group `other`. */
function namespaces(gitlab: FakeGitLab) {
  const state = gitlab.state;
  const top = addGroup(state, { name: "HPC", path: "hpc" });
  const cluster = addGroup(state, { name: "Cluster", path: "cluster", parent_id: top.id });
  const other = addGroup(state, { name: "Other", path: "other" });
  const project = addProject(state, { name: "CI", path: "ci", group_id: cluster.id });
  return { top, cluster, other, project };
}

/** A user with `role` in a group or project and a token with `scopes` (default: the runner ones). */
function member(
  gitlab: FakeGitLab,
  kind: "group" | "project",
  id: number,
  role: "owner" | "maintainer" | "developer",
  extra: { scopes?: string[]; expires_at?: string } = {},
): string {
  const user = addUser(gitlab.state, `u${gitlab.state.users.size + 1}`);
  addMember(gitlab.state, kind, id, user.id, role);
  return addToken(gitlab.state, user, { scopes: extra.scopes ?? RUNNER_SCOPES, ...extra });
}

async function writeScopedSite(
  gitlab: FakeGitLab,
  prefix: Prefix,
  token: string,
  scope: Pick<TemplateClient, "group" | "project">,
  executors = ["shell", "cpu"],
): Promise<void> {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: token, ...scope }]);
  for (const name of executors) await writeExecutor(gitlab, prefix, name);
}

function ours(gitlab: FakeGitLab) {
  return gitlab.runners().filter((r) => DESCRIPTIONS.includes(r.description));
}

/** Runs the CLI and asserts exit 0 with no secret (the scoped tokens included) in the output. */
async function syncOk(gitlab: FakeGitLab, prefix: Prefix, token: string, args: string[] = []) {
  const result = await runCli(prefix, args);
  expectOk(result, gitlab, [token]);
  return result;
}

/** Fresh, restart, executor removed, lost config: the scenarios every scope must pass. */
async function lifecycle(
  gitlab: FakeGitLab,
  prefix: Prefix,
  token: string,
  scope: { kind: "group" | "project"; id: number },
): Promise<void> {
  const type = `${scope.kind}_type`;
  const belongs = (r: { group_ids: number[]; project_ids: number[] }) =>
    (scope.kind === "group" ? r.group_ids : r.project_ids).includes(scope.id);

  await syncOk(gitlab, prefix, token);
  const created = ours(gitlab);
  deepEqual(created.map((r) => r.description).sort(), DESCRIPTIONS);
  for (const r of created) {
    equal(r.runner_type, type);
    ok(belongs(r), `${r.description} belongs to the ${scope.kind}`);
  }
  await assertConverged(gitlab, prefix, DESCRIPTIONS);
  const listing = `/${scope.kind}s/${
    scope.kind === "group" ? "hpc%2Fcluster" : "hpc%2Fcluster%2Fci"
  }/runners`;
  const listed = gitlab.requests.find((r) => r.path === listing);
  ok(listed, `listed with ${listing}`);
  equal(listed.params.type, type);
  equal(countRequests(gitlab, "GET", "/runners/all"), 0, "never the instance listing");

  // Restart: nothing changes, in GitLab or on disk.
  const mutations = gitlab.mutations().length;
  const text = await prefix.readOutput();
  await syncOk(gitlab, prefix, token);
  equal(gitlab.mutations().length, mutations, "a restart changes nothing in GitLab");
  equal(await prefix.readOutput(), text);

  // Lost config: recovered in place, the same ids.
  const ids = ours(gitlab).map((r) => r.id).sort();
  await Deno.remove(prefix.outputFile);
  await syncOk(gitlab, prefix, token);
  deepEqual(ours(gitlab).map((r) => r.id).sort(), ids, "same runners, reset in place");
  equal(countRequests(gitlab, "POST", "/user/runners"), 2, "nothing created again");
  await assertConverged(gitlab, prefix, DESCRIPTIONS);

  // Executor removed: its runner is deleted, the other kept.
  await prefix.removeExecutor("cpu");
  await syncOk(gitlab, prefix, token);
  deepEqual(ours(gitlab).map((r) => r.description), [`${HOST} main shell Runner`]);
  await assertConverged(gitlab, prefix, [`${HOST} main shell Runner`]);
}

Deno.test("a group Owner's token syncs the group's runners: fresh, restart, lost config, executor removed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    await lifecycle(gitlab, prefix, token, { kind: "group", id: cluster.id });
  });
});

Deno.test("a group access token (role Owner) syncs the group's runners, the group named by id", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = addAccessToken(gitlab.state, "group", cluster.id, "owner", {
      scopes: RUNNER_SCOPES,
    });
    await writeScopedSite(gitlab, prefix, token, { group: cluster.id });
    // The listing takes the id as configured; the same lifecycle otherwise.
    await syncOk(gitlab, prefix, token);
    const created = ours(gitlab);
    deepEqual(created.map((r) => r.description).sort(), DESCRIPTIONS);
    ok(created.every((r) => r.runner_type === "group_type" && r.group_ids[0] === cluster.id));
    ok(gitlab.requests.some((r) => r.path === `/groups/${cluster.id}/runners`));
    const mutations = gitlab.mutations().length;
    await syncOk(gitlab, prefix, token);
    equal(gitlab.mutations().length, mutations, "a restart changes nothing in GitLab");
    const ids = created.map((r) => r.id).sort();
    await Deno.remove(prefix.outputFile);
    await syncOk(gitlab, prefix, token);
    deepEqual(ours(gitlab).map((r) => r.id).sort(), ids, "same runners, reset in place");
    await prefix.removeExecutor("cpu");
    await syncOk(gitlab, prefix, token);
    await assertConverged(gitlab, prefix, [`${HOST} main shell Runner`]);
  });
});

Deno.test("a group access token by path: the same lifecycle", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = addAccessToken(gitlab.state, "group", cluster.id, "owner", {
      scopes: RUNNER_SCOPES,
    });
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    await lifecycle(gitlab, prefix, token, { kind: "group", id: cluster.id });
  });
});

Deno.test("a project Maintainer's token syncs the project's runners", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { project } = namespaces(gitlab);
    const token = member(gitlab, "project", project.id, "maintainer");
    await writeScopedSite(gitlab, prefix, token, { project: "hpc/cluster/ci" });
    await lifecycle(gitlab, prefix, token, { kind: "project", id: project.id });
  });
});

Deno.test("runners of another group, of an ancestor group and of the instance with the same tags are never touched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { top, cluster, other } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner");
    // The same description and tags this host's shell runner gets, in three other places.
    const same = { description: `${HOST} main shell Runner`, tag_list: [HOST, "main", "shell"] };
    const decoys = [
      gitlab.addRunner({ ...same, runner_type: "instance_type" }),
      gitlab.addRunner({ ...same, runner_type: "group_type", group_ids: [other.id] }),
      gitlab.addRunner({ ...same, runner_type: "group_type", group_ids: [top.id] }),
    ];
    // An Owner of the top group too (so its runners are listed and readable in the subgroup).
    addMember(gitlab.state, "group", top.id, gitlab.state.pats.get(token)!.user_id, "owner");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" }, ["shell"]);
    await syncOk(gitlab, prefix, token);
    // Forget the config: nothing to match by id, only the listing.
    await Deno.remove(prefix.outputFile);
    await syncOk(gitlab, prefix, token);
    for (const decoy of decoys) deepEqual(gitlab.runner(decoy.id), decoy, `runner ${decoy.id}`);
    const mine = gitlab.runners().filter((r) =>
      r.description === same.description && r.group_ids.includes(cluster.id)
    );
    equal(mine.length, 1, "one runner of the subgroup");
    deepEqual(sectionsOf(await prefix.readOutput()).map((s) => s.id), [mine[0]!.id]);
    const touched = gitlab.mutations().filter((m) =>
      decoys.some((d) => m.path.startsWith(`/runners/${d.id}`))
    );
    deepEqual(touched, []);
  });
});

Deno.test("a config holding an ancestor group's and an instance runner: neither is touched, the subgroup's runners are registered instead", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { top, cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner");
    // Owner of the top group too: its runners' details are readable, so the re-check decides.
    addMember(gitlab.state, "group", top.id, gitlab.state.pats.get(token)!.user_id, "owner");
    const [shell, docker] = DESCRIPTIONS.toReversed();
    const held = [
      gitlab.addRunner({
        description: shell!,
        tag_list: [HOST, "main", "shell"],
        runner_type: "group_type",
        group_ids: [top.id],
      }),
      gitlab.addRunner({
        description: docker!,
        tag_list: [HOST, "main", "docker"],
        runner_type: "instance_type",
      }),
    ];
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    await prefix.writeFile(
      "config.main.toml",
      held.map((r) =>
        `[[runners]]\nname = "${r.description}"\nurl = "${gitlab.url}"\nid = ${r.id}\n` +
        `token = "${r.token}"\nexecutor = "${r.description.split(" ")[2]}"\n`
      ).join("\n"),
    );
    const first = await syncOk(gitlab, prefix, token);
    match(
      first.stderr,
      new RegExp(
        `runner #${held[0]!.id} that the config holds is a group_type runner of another group, ` +
          "which a prefix for group hpc/cluster's runners never resets, updates or deletes; " +
          "registering a group runner for this executor file instead",
      ),
    );
    match(
      first.stderr,
      new RegExp(`runner #${held[1]!.id} that the config holds is an instance_type runner`),
    );
    // Verify (the config's tokens) may record a contact; nothing else may change.
    const sent = (r: FakeRunner) => [r.token, r.description, r.tag_list, r.locked, r.paused];
    for (const r of held) {
      deepEqual(sent(gitlab.runner(r.id)!), sent(r), `runner ${r.id} untouched`);
    }
    deepEqual(
      gitlab.mutations().filter((m) => held.some((r) => m.path.startsWith(`/runners/${r.id}`))),
      [],
    );
    const mine = ours(gitlab).filter((r) => r.group_ids.includes(cluster.id));
    deepEqual(mine.map((r) => r.description).sort(), DESCRIPTIONS);
    deepEqual(
      sectionsOf(await prefix.readOutput()).map((s) => s.id).sort(),
      mine.map((r) => r.id).sort(),
    );
    gitlab.clearRequests();
    await syncOk(gitlab, prefix, token);
    deepEqual(gitlab.mutations(), [], "the next run changes nothing");
  });
});

Deno.test("an ancestor group's runner whose details the subgroup's Owner may not read is skipped, not fatal", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { top, cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner");
    const same = { description: `${HOST} main shell Runner`, tag_list: [HOST, "main", "shell"] };
    const parent = gitlab.addRunner({ ...same, runner_type: "group_type", group_ids: [top.id] });
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" }, ["shell"]);
    await syncOk(gitlab, prefix, token);
    ok(
      gitlab.requests.some((r) => r.path === `/runners/${parent.id}` && r.status === 403),
      "the parent group's runner was listed and its details refused",
    );
    deepEqual(gitlab.runner(parent.id), parent);
    const mine = gitlab.runners().filter((r) => r.group_ids.includes(cluster.id));
    equal(mine.length, 1);
    deepEqual(sectionsOf(await prefix.readOutput()).map((s) => s.id), [mine[0]!.id]);
  });
});

Deno.test("a read_api-only token: exit 4 naming the missing scopes and what needs them, nothing changed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner", { scopes: ["read_api"] });
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /`create_runner` \(or `api`\) to create runners \(POST \/user\/runners\)/);
    match(
      result.stderr,
      /`manage_runner` \(or `api`\) to update runners .*reset runner tokens .*delete runners/,
    );
    ok(!/read_api` \(or `api`\) to list/.test(result.stderr), "read_api is not missing");
    deepEqual(gitlab.mutations(), []);
    equal(await prefix.readOutput(), undefined, "no config written");
  });
});

Deno.test("a token lacking a scope only a later run would use still fails at once (restart, nothing to create)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const full = member(gitlab, "group", cluster.id, "owner");
    await writeScopedSite(gitlab, prefix, full, { group: "hpc/cluster" });
    await syncOk(gitlab, prefix, full);
    const text = await prefix.readOutput();
    // Enough for this restart (read_api lists, manage_runner reads), not for a creation.
    const user = gitlab.state.pats.get(full)!.user_id;
    const narrow = addToken(gitlab.state, gitlab.state.users.get(user)!, {
      scopes: ["read_api", "manage_runner"],
    });
    await writeScopedSite(gitlab, prefix, narrow, { group: "hpc/cluster" });
    const before = gitlab.mutations().length;
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /`create_runner` \(or `api`\) to create runners/);
    equal(gitlab.mutations().length, before);
    equal(await prefix.readOutput(), text);
  });
});

Deno.test("a token expiring in 5 days: a warning naming the date, in text and in --output json", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const date = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const token = member(gitlab, "group", cluster.id, "owner", { expires_at: date });
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const text = await syncOk(gitlab, prefix, token);
    match(text.stderr, new RegExp(`warn: .*access token .* expires on ${date} \\(in 5 days\\)`));
    const json = await syncOk(gitlab, prefix, token, ["--output", "json"]);
    const doc = JSON.parse(json.stdout) as { warnings: string[] };
    ok(doc.warnings.some((w) => w.includes(`expires on ${date}`)), json.stdout);
    // One far off is not warned about.
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    gitlab.state.pats.get(token)!.expires_at = later;
    const quiet = await syncOk(gitlab, prefix, token);
    ok(!/expires on/.test(quiet.stderr), quiet.stderr);
  });
});

Deno.test("a non-member's token: exit 4, nothing changed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { other } = namespaces(gitlab);
    // An Owner elsewhere, with every scope it would need.
    const token = member(gitlab, "group", other.id, "owner");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /404/);
    match(result.stderr, /group hpc\/cluster does not exist.*not a member|may not see it/);
    deepEqual(gitlab.mutations(), []);
    equal(await prefix.readOutput(), undefined);
  });
});

Deno.test("a group Maintainer may list but not create: exit 4 from GitLab, nothing changed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "maintainer");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /Insufficient permissions/);
    match(result.stderr, /Owner role/);
    deepEqual(gitlab.mutations(), []);
  });
});

Deno.test("a group's runner limit (GitLab.com plan): a clear error naming the limit", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    gitlab.state.runnerLimits.group = 1;
    const token = member(gitlab, "group", cluster.id, "owner");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /at most 1 group runners/);
    match(result.stderr, /ci_registered_group_runners/);
    equal(ours(gitlab).length, 1, "the first one was created");
    // The next run adopts the one created (its token was journaled) and stops at the same limit.
    const again = await runCli(prefix);
    equal(again.code, 4, again.stderr);
    equal(ours(gitlab).length, 1);
  });
});

Deno.test("instance runners: a read_api-only token fails before any change; on GitLab < 15.5 (no self endpoint) it proceeds as before", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await writeExecutor(gitlab, prefix, "shell");
    expectOk(await runCli(prefix), gitlab);
    const text = await prefix.readOutput();
    await prefix.writeTemplate([
      { url: gitlab.url, personal_access_token: gitlab.tokens.readOnlyPat },
    ]);
    const refused = await runCli(prefix);
    equal(refused.code, 4, refused.stderr);
    match(refused.stderr, /`create_runner` \(or `api`\)/);
    equal(await prefix.readOutput(), text);
    gitlab.setOptions(optionsForVersion("15.4"));
    const old = await runCli(prefix);
    expectOk(old, gitlab, [gitlab.tokens.readOnlyPat]);
    equal(await prefix.readOutput(), text);
  });
});

Deno.test("instance runners with Admin Mode on: an administrator's token without admin_mode is exit 4 naming admin_mode, nothing changed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    for (const name of ["shell", "cpu"]) await writeExecutor(gitlab, prefix, name);
    expectOk(await runCli(prefix), gitlab);
    const text = await prefix.readOutput();
    // What sync could change (verify may touch contacted_at and managers: not a change).
    const state = () =>
      gitlab.runners().map((r) =>
        JSON.stringify([
          r.id,
          r.token,
          r.description,
          r.tag_list,
          r.locked,
          r.paused,
          r.run_untagged,
        ])
      );
    const runners = state();
    // Work for the next run (a deletion), then Admin Mode is switched on (Admin > Settings).
    await prefix.removeExecutor("cpu");
    gitlab.setOptions({ adminMode: true });
    gitlab.clearRequests();

    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(
      result.stderr,
      /lacks scopes this prefix needs; nothing was changed: `admin_mode` to list the instance's runners \(GET \/runners\/all\) if Admin Mode is on/,
    );
    deepEqual(gitlab.mutations(), [], "nothing changed in GitLab");
    deepEqual(state(), runners, "every runner as it was");
    equal(await prefix.readOutput(), text, "config byte-identical");
    ok(
      gitlab.requests.some((r) => r.path === "/runners/all" && r.query.type === "instance_type"),
      "the instance listing asks for instance runners",
    );

    // With the scope the same token works again: the removed executor's runner goes.
    gitlab.state.pats.get(gitlab.tokens.adminPat)!.scopes.push("admin_mode");
    expectOk(await runCli(prefix), gitlab);
    deepEqual(ours(gitlab).map((r) => r.description), [`${HOST} main shell Runner`]);
  });
});

Deno.test("plan with a group token shows the group's runners; check names the group", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const { cluster } = namespaces(gitlab);
    const token = member(gitlab, "group", cluster.id, "owner");
    await writeScopedSite(gitlab, prefix, token, { group: "hpc/cluster" });
    const checked = await runCli(prefix, ["check"]);
    equal(checked.code, 0, checked.stderr);
    match(checked.stdout, /runners of group hpc\/cluster/);
    const planned = await runCli(prefix, ["plan"]);
    equal(planned.code, 10, planned.stderr);
    deepEqual(gitlab.mutations(), []);
    await syncOk(gitlab, prefix, token);
    const clean = await runCli(prefix, ["plan"]);
    equal(clean.code, 0, clean.stdout + clean.stderr);
    const unregister = await runCli(prefix, ["unregister", "--yes"]);
    equal(unregister.code, 0, unregister.stderr);
    deepEqual(ours(gitlab), [], "unregister deleted the group's runners");
  });
});
