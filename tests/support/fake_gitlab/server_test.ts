import assert from "node:assert/strict";
import { parseArgs } from "./main.ts";
import { startFakeGitLab } from "./server.ts";
import { call, createRunner } from "./test_util.ts";

Deno.test("auth: missing, unknown, expired, revoked, wrong scope, Bearer", async () => {
  await using gitlab = await startFakeGitLab();
  const { tokens } = gitlab;
  assert.deepEqual((await call(gitlab, "GET", "/runners/all")).body, {
    message: "401 Unauthorized",
  });
  const unknown = await call(gitlab, "GET", "/runners/all", { pat: "glpat-nope" });
  assert.equal(unknown.status, 401);
  assert.deepEqual(unknown.body, { message: "401 Unauthorized" });
  const expired = await call(gitlab, "GET", "/version", { pat: tokens.expiredPat });
  assert.equal(expired.status, 401);
  assert.deepEqual(expired.body, {
    error: "invalid_token",
    error_description: "Token is expired. You can either do re-authorization or token refresh.",
  });
  const revoked = await call(gitlab, "GET", "/version", { pat: tokens.revokedPat });
  assert.equal((revoked.body as { error: string }).error, "invalid_token");
  const scope = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.readOnlyPat,
    json: { runner_type: "instance_type" },
  });
  assert.equal(scope.status, 403);
  assert.deepEqual(scope.body, {
    error: "insufficient_scope",
    error_description: "The request requires higher privileges than provided by the access token.",
    scope: "create_runner api read_api",
  });
  const bearer = await call(gitlab, "GET", "/version", {
    headers: { Authorization: `Bearer ${tokens.readOnlyPat}` },
  });
  assert.equal(bearer.status, 200);
  assert.deepEqual(bearer.body, { version: "17.11.2", revision: "fake0000" });
});

Deno.test("every reply has X-Request-Id; unknown routes and /api/v3", async () => {
  await using gitlab = await startFakeGitLab();
  const missing = await call(gitlab, "GET", "/nope");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { error: "404 Not Found" });
  assert.match(missing.headers.get("x-request-id") ?? "", /^[0-9A-F]{26}$/);
  assert.equal(missing.headers.get("content-type"), "application/json");
  const v3 = await fetch(`${gitlab.url}/api/v3/runners`);
  assert.equal(v3.status, 410);
  assert.deepEqual(await v3.json(), {
    error: "API V3 is no longer supported. Use API V4 instead.",
  });
});

Deno.test("POST /user/runners: glrt- token, defaults, errors, old GitLab 404", async () => {
  await using gitlab = await startFakeGitLab({ tokenExpiresInSeconds: 7200 });
  const { tokens } = gitlab;
  const created = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.createRunnerPat,
    json: { runner_type: "instance_type", description: "h main shell Runner", tag_list: "h,main" },
  });
  assert.equal(created.status, 201);
  const body = created.body as { id: number; token: string; token_expires_at: string };
  assert.match(body.token, /^glrt-/);
  assert.ok(Date.parse(body.token_expires_at) > Date.now());
  const runner = gitlab.runner(body.id);
  assert.deepEqual(runner?.tag_list, ["h", "main"]);
  assert.equal(runner?.run_untagged, true);
  assert.equal(runner?.registration_type, "authenticated_user");
  assert.equal(runner?.contacted_at, null);

  const missing = await call(gitlab, "POST", "/user/runners", { pat: tokens.adminPat, json: {} });
  assert.deepEqual(missing.body, { error: "runner_type is missing" });
  const notAdmin = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.userPat,
    json: { runner_type: "instance_type" },
  });
  assert.equal(notAdmin.status, 403);
  assert.deepEqual(notAdmin.body, { message: "403 Forbidden - Insufficient permissions" });
  const group = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.userPat,
    json: { runner_type: "group_type", group_id: 10, tag_list: ["a"] },
  });
  assert.equal(group.status, 201);
  const badGroup = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.userPat,
    json: { runner_type: "group_type", group_id: 999 },
  });
  assert.deepEqual(badGroup.body, { message: "400 Bad request - Missing/invalid group" });
  const model = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.adminPat,
    json: { runner_type: "instance_type", run_untagged: false, maximum_timeout: 60 },
  });
  assert.deepEqual(model.body, {
    message: "400 Bad request - Tags list can not be empty when runner is not allowed to " +
      "pick untagged jobs and Maximum timeout needs to be at least 10 minutes",
  });

  gitlab.setOptions({ userRunnersApi: false });
  const old = await call(gitlab, "POST", "/user/runners", {
    pat: tokens.adminPat,
    json: { runner_type: "instance_type" },
  });
  assert.equal(old.status, 404);
  assert.deepEqual(old.body, { error: "404 Not Found" });
});

Deno.test("POST /runners: 410 by default, even for garbage tokens", async () => {
  await using gitlab = await startFakeGitLab();
  for (const token of [gitlab.tokens.registrationToken, "garbage"]) {
    const reply = await call(gitlab, "POST", "/runners", { json: { token } });
    assert.equal(reply.status, 410);
    assert.deepEqual(reply.body, { message: "410 Gone - runner registration disallowed" });
  }
  const missing = await call(gitlab, "POST", "/runners", { json: {} });
  assert.deepEqual(missing.body, { error: "token is missing" });
  assert.equal(gitlab.runners().length, 0);
});

Deno.test("POST /runners with registration allowed: form body, validation, wrong token", async () => {
  await using gitlab = await startFakeGitLab({ allowRegistrationToken: true });
  const token = gitlab.tokens.registrationToken;
  const ok = await call(gitlab, "POST", "/runners", {
    form: {
      token,
      description: "h main shell Runner",
      "tag_list[]": ["h", "shell", "main"],
      run_untagged: "false",
      locked: "true",
      maximum_timeout: "3600",
      "info[name]": "gitlab-runner",
    },
  });
  assert.equal(ok.status, 201);
  const body = ok.body as { id: number; token: string; token_expires_at: null };
  assert.match(body.token, /^glrtr-/);
  assert.equal(body.token_expires_at, null);
  const runner = gitlab.runner(body.id);
  assert.deepEqual(runner?.tag_list, ["h", "shell", "main"]);
  assert.equal(runner?.run_untagged, false);
  assert.equal(runner?.locked, true);
  assert.equal(runner?.maximum_timeout, 3600);
  assert.equal(runner?.registration_type, "registration_token");

  const untagged = await call(gitlab, "POST", "/runners", {
    json: { token, run_untagged: false },
  });
  assert.deepEqual(untagged.body, {
    message: { tags_list: ["can not be empty when runner is not allowed to pick untagged jobs"] },
  });
  const timeout = await call(gitlab, "POST", "/runners", {
    json: { token, maximum_timeout: 599 },
  });
  assert.deepEqual(timeout.body, {
    message: { maximum_timeout: ["needs to be at least 10 minutes"] },
  });
  const wrong = await call(gitlab, "POST", "/runners", { json: { token: "GR1348941wrong" } });
  assert.equal(wrong.status, 403);
  assert.deepEqual(wrong.body, { message: "403 Forbidden - invalid token supplied" });
  gitlab.setOptions({ registeredTokenPrefix: "" });
  const legacy = await call(gitlab, "POST", "/runners", { json: { token } });
  assert.doesNotMatch((legacy.body as { token: string }).token, /^glrt/);
});

Deno.test("bodies without a JSON or form content type are ignored, malformed JSON is 400", async () => {
  await using gitlab = await startFakeGitLab();
  const res = await fetch(`${gitlab.apiUrl}/runners/verify`, {
    method: "POST",
    body: JSON.stringify({ token: "x" }),
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: "token is missing" });
  const bad = await fetch(`${gitlab.apiUrl}/runners/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{",
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: "message body does not match declared format" });
});

Deno.test("verify: 200 body, managers, contacted_at, 403 unknown/expired, legacy body", async () => {
  await using gitlab = await startFakeGitLab();
  const { id, token } = await createRunner(gitlab, { tag_list: ["a"] });
  const ok = await call(gitlab, "POST", "/runners/verify", {
    json: { token, system_id: "s_0123456789ab" },
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { id, token, token_expires_at: null });
  await call(gitlab, "POST", "/runners/verify", { form: { token } });
  const runner = gitlab.runner(id);
  assert.deepEqual(runner?.managers, ["s_0123456789ab", "<legacy>"]);
  assert.equal(runner?.contacted_at, null, "17.11: verify with a glrt- token records no contact");

  const unknown = await call(gitlab, "POST", "/runners/verify", { json: { token: "glrt-x" } });
  assert.equal(unknown.status, 403);
  assert.deepEqual(unknown.body, { message: "403 Forbidden" });
  gitlab.expireToken(id);
  const expired = await call(gitlab, "POST", "/runners/verify", { json: { token } });
  assert.equal(expired.status, 403);

  const other = await createRunner(gitlab);
  gitlab.setOptions({ legacyVerifyBody: true });
  const legacy = await call(gitlab, "POST", "/runners/verify", { json: { token: other.token } });
  assert.equal(legacy.status, 200);
  assert.equal(legacy.body, "200", 'the JSON string "200" (Grape\'s formatter on `body "200"`)');
  assert.equal(gitlab.mutations().length, 2, "verify is not a mutation; the two creates are");
});

Deno.test("revokeToken: the old token is unknown, the new one keeps the prefix", async () => {
  await using gitlab = await startFakeGitLab();
  const { id, token } = await createRunner(gitlab);
  const fresh = gitlab.revokeToken(id);
  assert.notEqual(fresh, token);
  assert.match(fresh, /^glrt-/);
  assert.equal((await call(gitlab, "POST", "/runners/verify", { json: { token } })).status, 403);
  const ok = await call(gitlab, "POST", "/runners/verify", { json: { token: fresh } });
  assert.equal(ok.status, 200);
});

Deno.test("DELETE /runners and /runners/managers", async () => {
  await using gitlab = await startFakeGitLab();
  const a = await createRunner(gitlab);
  await call(gitlab, "POST", "/runners/verify", { json: { token: a.token, system_id: "s_1" } });
  const noManager = await call(gitlab, "DELETE", "/runners/managers", {
    json: { token: a.token, system_id: "s_2" },
  });
  assert.equal(noManager.status, 404);
  const missing = await call(gitlab, "DELETE", "/runners/managers", { json: { token: a.token } });
  assert.deepEqual(missing.body, { error: "system_id is missing" });
  const manager = await call(gitlab, "DELETE", "/runners/managers", {
    json: { token: a.token, system_id: "s_1" },
  });
  assert.equal(manager.status, 204);
  assert.deepEqual(gitlab.runner(a.id)?.managers, []);
  assert.equal((await call(gitlab, "DELETE", "/runners", { json: { token: "x" } })).status, 403);
  const deleted = await call(gitlab, "DELETE", "/runners", { json: { token: a.token } });
  assert.equal(deleted.status, 204);
  assert.equal(deleted.body, "");
  assert.equal(gitlab.runner(a.id), undefined);
});

Deno.test("GET /runners/:id: details with tag_list, token only when patched", async () => {
  await using gitlab = await startFakeGitLab();
  const { tokens } = gitlab;
  const { id, token } = await createRunner(gitlab, {
    tag_list: ["b", "a"],
    maintenance_note: "note",
    access_level: "ref_protected",
  });
  const details = await call(gitlab, "GET", `/runners/${id}`, { pat: tokens.readOnlyPat });
  assert.equal(details.status, 200);
  const body = details.body as Record<string, unknown>;
  assert.deepEqual(body.tag_list, ["b", "a"]);
  assert.equal(body.access_level, "ref_protected");
  assert.equal(body.maintenance_note, "note");
  assert.equal(body.run_untagged, true);
  assert.equal(body.active, true);
  assert.equal(body.status, "never_contacted");
  assert.equal("token" in body, false);
  const asUser = await call(gitlab, "GET", `/runners/${id}`, { pat: tokens.userPat });
  assert.equal((asUser.body as Record<string, unknown>).maintenance_note, null);
  gitlab.setOptions({ exposeTokenInDetails: true });
  const patched = await call(gitlab, "GET", `/runners/${id}`, { pat: tokens.adminPat });
  assert.equal((patched.body as { token: string }).token, token);
  const missing = await call(gitlab, "GET", "/runners/999", { pat: tokens.adminPat });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { message: "404 Not found" }, "RecordNotFound, every version");
});

Deno.test("PUT /runners/:id: replaces tags, validates, needs a parameter and access", async () => {
  await using gitlab = await startFakeGitLab();
  const { tokens } = gitlab;
  const { id } = await createRunner(gitlab, { tag_list: ["a", "b"], run_untagged: false });
  const updated = await call(gitlab, "PUT", `/runners/${id}`, {
    pat: tokens.adminPat,
    json: { tag_list: ["c"], paused: true, maximum_timeout: 7200 },
  });
  assert.equal(updated.status, 200);
  assert.deepEqual((updated.body as { tag_list: string[] }).tag_list, ["c"]);
  assert.equal((updated.body as { active: boolean }).active, false);
  assert.equal(gitlab.runner(id)?.paused, true);
  const invalid = await call(gitlab, "PUT", `/runners/${id}`, {
    pat: tokens.adminPat,
    json: { tag_list: [] },
  });
  assert.equal(invalid.status, 400);
  assert.deepEqual(gitlab.runner(id)?.tag_list, ["c"]);
  const empty = await call(gitlab, "PUT", `/runners/${id}`, { pat: tokens.adminPat, json: {} });
  assert.equal(empty.status, 400);
  assert.match((empty.body as { error: string }).error, /at least one parameter must be provided/);
  const both = await call(gitlab, "PUT", `/runners/${id}`, {
    pat: tokens.adminPat,
    json: { active: true, paused: false },
  });
  assert.deepEqual(both.body, { error: "active, paused are mutually exclusive" });
  const user = await call(gitlab, "PUT", `/runners/${id}`, {
    pat: tokens.userPat,
    json: { description: "x" },
  });
  assert.deepEqual(user.body, { message: "403 Forbidden - No access granted" });
  const readOnly = await call(gitlab, "PUT", `/runners/${id}`, {
    pat: tokens.readOnlyPat,
    json: { description: "x" },
  });
  assert.equal(readOnly.status, 403);
  assert.equal(gitlab.mutations().length, 2, "create + one successful PUT");
});

Deno.test("reset by id works on expired tokens; reset by token needs a valid one", async () => {
  await using gitlab = await startFakeGitLab({ tokenExpiresInSeconds: 7200 });
  const { id, token } = await createRunner(gitlab);
  gitlab.expireToken(id);
  const self = await call(gitlab, "POST", "/runners/reset_authentication_token", {
    json: { token },
  });
  assert.equal(self.status, 403);
  const reset = await call(gitlab, "POST", `/runners/${id}/reset_authentication_token`, {
    pat: gitlab.tokens.adminPat,
  });
  assert.equal(reset.status, 201);
  const fresh = reset.body as { token: string; token_expires_at: string };
  assert.match(fresh.token, /^glrt-/);
  assert.notEqual(fresh.token, token);
  assert.ok(Date.parse(fresh.token_expires_at) > Date.now());
  const again = await call(gitlab, "POST", "/runners/reset_authentication_token", {
    json: { token: fresh.token },
  });
  assert.equal(again.status, 201);
  const newest = (again.body as { token: string }).token;
  assert.equal(
    (await call(gitlab, "POST", "/runners/verify", { json: { token: fresh.token } }))
      .status,
    403,
  );
  assert.equal(gitlab.runner(id)?.token, newest);
});

Deno.test("DELETE /runners/:id: 204, 404, non-admin 403", async () => {
  await using gitlab = await startFakeGitLab();
  const { tokens } = gitlab;
  const { id } = await createRunner(gitlab);
  const denied = await call(gitlab, "DELETE", `/runners/${id}`, { pat: tokens.userPat });
  assert.deepEqual(denied.body, { message: "403 Forbidden - No access granted" });
  assert.equal(
    (await call(gitlab, "DELETE", `/runners/${id}`, { pat: tokens.adminPat })).status,
    204,
  );
  const gone = await call(gitlab, "DELETE", `/runners/${id}`, { pat: tokens.adminPat });
  assert.deepEqual(gone.body, { message: "404 Not found" });
  const badId = await call(gitlab, "DELETE", "/runners/abc", { pat: tokens.adminPat });
  assert.deepEqual(badId.body, { error: "id is invalid" });
});

Deno.test("seeding helpers: legacy runner, clock-driven status", async () => {
  let now = new Date("2025-01-01T00:00:00Z");
  await using gitlab = await startFakeGitLab({ clock: () => now });
  const legacy = gitlab.addLegacyRunner("node1", "main", "shell");
  assert.equal(legacy.description, "node1 main shell Runner");
  assert.deepEqual(legacy.tag_list, ["node1", "shell", "main"]);
  assert.equal(legacy.run_untagged, false);
  assert.doesNotMatch(legacy.token, /^glrt/);
  const ok = await call(gitlab, "POST", "/runners/verify", { json: { token: legacy.token } });
  assert.equal(ok.status, 200);
  const show = () => call(gitlab, "GET", `/runners/${legacy.id}`, { pat: gitlab.tokens.adminPat });
  assert.equal(((await show()).body as { status: string }).status, "online");
  now = new Date("2025-01-01T03:00:00Z");
  assert.equal(((await show()).body as { status: string }).status, "offline");
  now = new Date("2025-01-09T00:00:00Z");
  assert.equal(((await show()).body as { status: string }).status, "stale");
  assert.throws(() => gitlab.addRunner({ id: legacy.id }));
});

Deno.test("main.ts parses its flags", () => {
  assert.deepEqual(parseArgs(["--port", "8080", "--latency-ms", "5"]), {
    port: 8080,
    latencyMs: 5,
  });
  const old = parseArgs(["--gitlab-version", "15.9"]);
  assert.equal(old.userRunnersApi, false);
  assert.equal(old.legacyVerifyBody, true);
  assert.equal(old.allowRegistrationToken, true);
});

Deno.test("a taken port is an error and leaks nothing", async () => {
  await using first = await startFakeGitLab();
  const port = Number(new URL(first.url).port);
  await assert.rejects(startFakeGitLab({ port }), Deno.errors.AddrInUse);
});
