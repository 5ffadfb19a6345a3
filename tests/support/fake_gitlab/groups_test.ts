import { deepEqual, equal } from "node:assert/strict";
import { addAccessToken, addGroup, addMember, addProject, addToken, addUser } from "./groups.ts";
import { optionsForVersion, startFakeGitLab } from "./server.ts";
import { call } from "./test_util.ts";

const SCOPES = ["create_runner", "manage_runner", "read_api"];

async function world() {
  const gitlab = await startFakeGitLab();
  const s = gitlab.state;
  const top = addGroup(s, { name: "HPC", path: "hpc" });
  const sub = addGroup(s, { name: "Sub", path: "sub", parent_id: top.id });
  const project = addProject(s, { name: "CI", path: "ci", group_id: sub.id });
  const token = (role: "owner" | "maintainer" | "developer", on: number, scopes = SCOPES) => {
    const user = addUser(s, `u${s.users.size}`);
    addMember(s, "group", on, user.id, role);
    return addToken(s, user, { scopes });
  };
  return { gitlab, top, sub, project, token };
}

Deno.test("fake groups: roles decide who lists and who creates; membership is inherited", async () => {
  const { gitlab, top, sub, token } = await world();
  try {
    const create = (pat: string) =>
      call(gitlab, "POST", "/user/runners", {
        pat,
        json: { runner_type: "group_type", group_id: sub.id, tag_list: "a" },
      });
    const list = (pat: string) => call(gitlab, "GET", "/groups/hpc%2Fsub/runners", { pat });
    const owner = token("owner", top.id); // inherited Owner of the subgroup
    const maintainer = token("maintainer", sub.id);
    const developer = token("developer", sub.id);
    equal((await create(owner)).status, 201);
    equal((await list(owner)).status, 200);
    deepEqual((await create(maintainer)).body, {
      message: "403 Forbidden - Insufficient permissions",
    });
    equal((await list(maintainer)).status, 200, "Maintainer lists (16+)");
    equal((await list(developer)).status, 403);
    const outsider = addToken(gitlab.state, addUser(gitlab.state, "nobody"), { scopes: SCOPES });
    deepEqual((await call(gitlab, "GET", "/groups/hpc%2Fsub", { pat: outsider })).body, {
      message: "404 Group Not Found",
    });
  } finally {
    await gitlab.close();
  }
});

Deno.test("fake groups: listings hold ancestors' and instance runners; type filters them", async () => {
  const { gitlab, top, sub, project, token } = await world();
  try {
    const owner = token("owner", top.id);
    const mine = gitlab.addRunner({ runner_type: "group_type", group_ids: [sub.id] });
    const parent = gitlab.addRunner({ runner_type: "group_type", group_ids: [top.id] });
    const shared = gitlab.addRunner({ runner_type: "instance_type" });
    const own = gitlab.addRunner({ runner_type: "project_type", project_ids: [project.id] });
    const ids = async (path: string) =>
      ((await call(gitlab, "GET", path, { pat: owner })).body as { id: number }[])
        .map((r) => r.id).sort((a, b) => a - b);
    deepEqual(await ids(`/groups/${sub.id}/runners`), [mine.id, parent.id, shared.id]);
    deepEqual(await ids(`/groups/${sub.id}/runners?type=group_type`), [mine.id, parent.id]);
    deepEqual(await ids(`/projects/hpc%2Fsub%2Fci/runners`), [
      mine.id,
      parent.id,
      shared.id,
      own.id,
    ]);
    deepEqual(await ids(`/projects/${project.id}/runners?type=project_type`), [own.id]);
  } finally {
    await gitlab.close();
  }
});

Deno.test("fake groups: a group access token is a bot member; /personal_access_tokens/self from 15.5", async () => {
  const { gitlab, sub } = await world();
  try {
    const pat = addAccessToken(gitlab.state, "group", sub.id, "owner", {
      scopes: SCOPES,
      expires_at: "2030-01-02",
    });
    const self = await call(gitlab, "GET", "/personal_access_tokens/self", { pat });
    equal(self.status, 200);
    const body = self.body as { scopes: string[]; expires_at: string; user_id: number };
    deepEqual(body.scopes, SCOPES);
    equal(body.expires_at, "2030-01-02");
    equal(gitlab.state.users.get(body.user_id)?.bot, true);
    gitlab.setOptions(optionsForVersion("15.4"));
    equal((await call(gitlab, "GET", "/personal_access_tokens/self", { pat })).status, 404);
  } finally {
    await gitlab.close();
  }
});
