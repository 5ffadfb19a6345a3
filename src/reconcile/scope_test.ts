import assert from "node:assert/strict";
import { GitLabApiError } from "../kernel/errors.ts";
import type { RunnerDetails } from "../gitlab/client.ts";
import {
  adminModeError,
  belongsToScope,
  checkTokenScopes,
  MissingScopesError,
  scopeNeeds,
  tokenExpiryWarning,
  unmetNeeds,
} from "./scope.ts";

const URL = "https://gitlab.example.com";

Deno.test("scopeNeeds: api meets everything; the three runner scopes meet everything", () => {
  for (const kind of ["instance", "group", "project"] as const) {
    assert.deepEqual(unmetNeeds(["api"], scopeNeeds(kind)), [], kind);
    assert.deepEqual(
      unmetNeeds(["create_runner", "manage_runner", "read_api"], scopeNeeds(kind)),
      [],
    );
  }
});

Deno.test("scopeNeeds: manage_runner does not list a group's runners; read_api does not write", () => {
  const unmet = (scopes: string[]) =>
    unmetNeeds(scopes, scopeNeeds("group")).map((n) => n.operation);
  assert.deepEqual(unmet(["create_runner", "manage_runner"]), [
    "look the group up (GET /groups/:id)",
    "list the group's runners (GET /groups/:id/runners)",
  ]);
  assert.deepEqual(unmet(["read_api"]), [
    "create runners (POST /user/runners)",
    "update runners (PUT /runners/:id)",
    "reset runner tokens (POST /runners/:id/reset_authentication_token)",
    "delete runners (DELETE /runners/:id)",
  ]);
});

Deno.test("checkTokenScopes: one line per missing scope set, naming every operation", () => {
  let error: unknown;
  try {
    checkTokenScopes(URL, "project", { scopes: ["read_api"], expiresAt: undefined });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof MissingScopesError);
  assert.equal(error.exitCode, 4);
  assert.match(
    error.message,
    /lacks scopes this prefix needs; nothing was changed: `create_runner` \(or `api`\) to create runners \(POST \/user\/runners\); `manage_runner` \(or `api`\) to update runners \(PUT \/runners\/:id\), reset runner tokens .*, delete runners \(DELETE \/runners\/:id\)$/,
  );
  checkTokenScopes(URL, "project", { scopes: ["api"], expiresAt: undefined });
});

Deno.test("tokenExpiryWarning: within 14 days, the date as GitLab gave it; not beyond", () => {
  const now = new Date("2026-03-01T23:30:00Z");
  const warn = (expiresAt: string | undefined) =>
    tokenExpiryWarning(URL, { scopes: ["api"], expiresAt }, now);
  assert.match(warn("2026-03-06")!, /expires on 2026-03-06 \(in 5 days\)/);
  assert.match(warn("2026-03-01")!, /expires on 2026-03-01 \(today\)/);
  assert.match(warn("2026-03-15")!, /in 14 days/);
  assert.equal(warn("2026-03-16"), undefined);
  assert.equal(warn(undefined), undefined, "never expires");
  assert.equal(warn("soon"), undefined, "not a date");
});

Deno.test("adminModeError: a 403 on /runners/all from a token without admin_mode names admin_mode", () => {
  const refused = new GitLabApiError(
    { baseUrl: URL, method: "GET", path: "/runners/all" },
    403,
    '{"message":"403 Forbidden"}',
    undefined,
  );
  const explained = adminModeError(URL, refused, { scopes: ["api"], expiresAt: undefined });
  assert.ok(explained instanceof MissingScopesError);
  assert.match(explained.message, /`admin_mode` to list the instance's runners .*Admin Mode is on/);
  assert.equal(
    adminModeError(URL, refused, { scopes: ["api", "admin_mode"], expiresAt: undefined }),
    refused,
  );
  assert.equal(adminModeError(URL, refused, undefined), refused, "GitLab < 15.5: unchanged");
  const other = new GitLabApiError({ ...refused.request, path: "/runners/5" }, 403, "x", undefined);
  assert.equal(adminModeError(URL, other, { scopes: ["api"], expiresAt: undefined }), other);
});

function details(patch: Partial<RunnerDetails>): RunnerDetails {
  return {
    id: 1,
    description: "d",
    paused: false,
    tag_list: [],
    run_untagged: false,
    locked: false,
    access_level: "not_protected",
    maximum_timeout: 0,
    maintenance_note: "",
    ...patch,
  };
}

Deno.test("belongsToScope: the type and the group or project must both match", () => {
  const group = { kind: "group", id: 7, path: "hpc/a" } as const;
  assert.ok(belongsToScope(details({ runner_type: "group_type", groupIds: [7] }), group));
  assert.ok(!belongsToScope(details({ runner_type: "group_type", groupIds: [6] }), group));
  assert.ok(!belongsToScope(details({ runner_type: "group_type" }), group), "no groups sent");
  assert.ok(!belongsToScope(details({ runner_type: "instance_type", groupIds: [7] }), group));
  assert.ok(!belongsToScope(details({ runner_type: "project_type", projectIds: [7] }), group));
  const project = { kind: "project", id: 7, path: "hpc/a/ci" } as const;
  assert.ok(belongsToScope(details({ runner_type: "project_type", projectIds: [3, 7] }), project));
  assert.ok(!belongsToScope(details({ runner_type: "group_type", groupIds: [7] }), project));
});

Deno.test("belongsToScope: instance scope takes instance runners only (no runner_type: GitLab 13.x)", () => {
  const instance = { kind: "instance" } as const;
  assert.ok(belongsToScope(details({ runner_type: "instance_type" }), instance));
  assert.ok(belongsToScope(details({}), instance), "runner_type absent");
  assert.ok(!belongsToScope(details({ runner_type: "group_type", groupIds: [7] }), instance));
  assert.ok(!belongsToScope(details({ runner_type: "project_type", projectIds: [7] }), instance));
});
