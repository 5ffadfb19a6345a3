import assert from "node:assert/strict";
import { startFakeGitLab } from "./server.ts";
import { call, createRunner } from "./test_util.ts";
import {
  NEWEST_VERSION,
  optionsForVersion,
  SUPPORTED_VERSIONS,
  VERSION_TABLE,
} from "./versions.ts";

Deno.test("version table: every row cites a source and a ref; versions parse and are ordered", () => {
  for (const row of VERSION_TABLE) {
    assert.ok(row.source.length > 10 && row.ref.length > 3, `${row.option} cites its source`);
    assert.doesNotThrow(() => optionsForVersion(row.since));
  }
  assert.equal(SUPPORTED_VERSIONS.at(-1), NEWEST_VERSION);
  assert.equal(optionsForVersion("14.0").resetByIdApi, false);
  assert.equal(optionsForVersion("14.3").resetByIdApi, true);
  assert.equal(optionsForVersion("15.9.3").userRunnersApi, false);
  assert.equal(optionsForVersion("15.10").userRunnersApi, true);
  assert.equal(optionsForVersion("16.9").maintenanceNote, false);
  assert.equal(optionsForVersion("16.10.1").maintenanceNote, true);
  assert.equal(optionsForVersion("17.0").registeredTokenPrefix, "");
  assert.equal(optionsForVersion("17.6").registeredTokenPrefix, "t1_");
  assert.equal(optionsForVersion("newest").registeredTokenPrefix, "glrtr-");
  assert.equal(optionsForVersion("17.11").glrtVerifySkipsContact, true);
  assert.equal(optionsForVersion("18.0").glrtVerifySkipsContact, false);
  assert.throws(() => optionsForVersion("seventeen"));
});

Deno.test("version option: switches derive from it, explicit ones override", async () => {
  await using old = await startFakeGitLab({ version: "15.9" });
  assert.equal(old.options.userRunnersApi, false);
  assert.equal(old.options.allowRegistrationToken, true);
  assert.equal(old.options.gitlabVersion, "15.9");
  await using patched = await startFakeGitLab({ version: "15.9", allowRegistrationToken: false });
  assert.equal(patched.options.allowRegistrationToken, false);
  assert.equal(patched.options.legacyVerifyBody, true);
});

Deno.test("listing: id ascending; status paused for a contacted paused runner", async () => {
  await using gitlab = await startFakeGitLab();
  const now = new Date().toISOString();
  gitlab.addRunner({ id: 7, description: "b", created_at: "2020-01-01T00:00:00Z" });
  gitlab.addRunner({ id: 3, description: "a", paused: true, contacted_at: now });
  gitlab.addRunner({ id: 5, description: "c", created_at: "2030-01-01T00:00:00Z" });
  const list = await call(gitlab, "GET", "/runners/all", { pat: gitlab.tokens.adminPat });
  const body = list.body as { id: number; status: string }[];
  assert.deepEqual(body.map((r) => r.id), [3, 5, 7]);
  assert.equal(body[0]!.status, "paused");
});

Deno.test("404 bodies: unknown runner id vs unknown route; 429 is Rack::Attack's", async () => {
  await using gitlab = await startFakeGitLab();
  const pat = gitlab.tokens.adminPat;
  assert.deepEqual(
    (await call(gitlab, "PUT", "/runners/99", { pat, json: { locked: true } })).body,
    {
      message: "404 Not found",
    },
  );
  assert.deepEqual((await call(gitlab, "GET", "/ci/api/v4/runners/all", { pat })).body, {
    error: "404 Not Found",
  });
  gitlab.addFault({ path: "/runners/all", kind: "throttle", periodSeconds: 600 });
  const limited = await call(gitlab, "GET", "/runners/all", { pat });
  assert.equal(limited.status, 429);
  assert.equal(limited.body, "Retry later\n");
  assert.equal(limited.headers.get("content-type"), "text/plain");
  const after = Number(limited.headers.get("retry-after"));
  assert.ok(after > 0 && after <= 600);
  assert.equal(limited.headers.get("ratelimit-name"), "throttle_authenticated_api");
  assert.ok(Number(limited.headers.get("ratelimit-reset")) > Date.now() / 1000);
});

Deno.test("PUT validation: maximum_timeout >= 600, access_level values, active/paused exclusive", async () => {
  await using gitlab = await startFakeGitLab();
  const pat = gitlab.tokens.adminPat;
  const { id } = await createRunner(gitlab);
  const put = (json: unknown) => call(gitlab, "PUT", `/runners/${id}`, { pat, json });
  const short = await put({ maximum_timeout: 599 });
  assert.equal(short.status, 400);
  assert.deepEqual(short.body, {
    message: { maximum_timeout: ["needs to be at least 10 minutes"] },
  });
  assert.deepEqual((await put({ access_level: "protected" })).body, {
    error: "access_level does not have a valid value",
  });
  assert.deepEqual((await put({ active: true, paused: true })).body, {
    error: "active, paused are mutually exclusive",
  });
  const tags = await put({ tag_list: Array.from({ length: 51 }, (_, i) => `t${i}`) });
  assert.deepEqual(tags.body, {
    message: { tags_list: ["Too many tags specified. Please limit the number of tags to 50"] },
  });
  const quoted = await put({ tag_list: [` "a" `, "'b'", " c "] });
  assert.deepEqual((quoted.body as { tag_list: string[] }).tag_list, ["a", "b", "c"]);
});

Deno.test("before 16.10: no maintenance_note in details, PUT drops it (400 when alone)", async () => {
  await using gitlab = await startFakeGitLab({ version: "16.9" });
  const pat = gitlab.tokens.adminPat;
  const { id } = await createRunner(gitlab);
  const details = await call(gitlab, "GET", `/runners/${id}`, { pat });
  assert.equal("maintenance_note" in (details.body as object), false);
  const alone = await call(gitlab, "PUT", `/runners/${id}`, {
    pat,
    json: { maintenance_note: "x" },
  });
  assert.equal(alone.status, 400);
  assert.match((alone.body as { error: string }).error, /at least one parameter/);
  const withOther = await call(gitlab, "PUT", `/runners/${id}`, {
    pat,
    json: { maintenance_note: "x", locked: true },
  });
  assert.equal(withOther.status, 200);
  assert.equal(gitlab.runner(id)!.maintenance_note, null, "dropped as undeclared");
});

Deno.test("before 14.8: no paused field, PUT drops paused; active works", async () => {
  await using gitlab = await startFakeGitLab({ version: "14.3" });
  const pat = gitlab.tokens.adminPat;
  const { id } = gitlab.addRunner({ description: "x" });
  const details = await call(gitlab, "GET", `/runners/${id}`, { pat });
  assert.equal("paused" in (details.body as object), false);
  const dropped = await call(gitlab, "PUT", `/runners/${id}`, {
    pat,
    json: { paused: true, locked: true },
  });
  assert.equal(dropped.status, 200);
  assert.equal(gitlab.runner(id)!.paused, false);
  await call(gitlab, "PUT", `/runners/${id}`, { pat, json: { active: false } });
  assert.equal(gitlab.runner(id)!.paused, true);
  assert.equal(
    (await call(gitlab, "POST", `/runners/${id}/reset_authentication_token`, { pat }))
      .status,
    201,
  );
  await using older = await startFakeGitLab({ version: "14.0" });
  const r = older.addRunner({});
  const reset = await call(older, "POST", `/runners/${r.id}/reset_authentication_token`, {
    pat: older.tokens.adminPat,
  });
  assert.equal(reset.status, 404);
});

Deno.test("verify: orphaned group runner 200 / 422 / 403 by version", async () => {
  for (const [version, status] of [["17.0", 200], ["17.6", 422]] as const) {
    await using gitlab = await startFakeGitLab({ version });
    const r = gitlab.addRunner({ runner_type: "group_type", group_ids: [999] });
    const reply = await call(gitlab, "POST", "/runners/verify", { json: { token: r.token } });
    assert.equal(reply.status, status, version);
  }
  await using flagged = await startFakeGitLab({ orphanedVerify: "403" });
  const r = flagged.addRunner({ runner_type: "project_type", project_ids: [999] });
  const reply = await call(flagged, "POST", "/runners/verify", { json: { token: r.token } });
  assert.deepEqual(reply.body, { message: "403 Forbidden - Runner is orphaned" });
});

Deno.test("verify on the newest GitLab: a first contact without features leaves the manager empty for 55 min", async () => {
  let now = new Date("2026-01-01T00:00:00Z");
  await using gitlab = await startFakeGitLab({ version: "newest", clock: () => now });
  const r = gitlab.addRunner({});
  const verify = (info?: unknown) =>
    call(gitlab, "POST", "/runners/verify", {
      json: { token: r.token, system_id: "s_000000000001", ...(info ? { info } : {}) },
    });
  await verify();
  const features = { cancel_gracefully: true };
  now = new Date("2026-01-01T00:30:00Z");
  await verify({ version: "19.3.0", features });
  assert.deepEqual(gitlab.runner(r.id)!.manager_rows["s_000000000001"]!.runtime_features, {});
  now = new Date("2026-01-01T00:56:00Z");
  await verify({ version: "19.3.0", features });
  assert.deepEqual(
    gitlab.runner(r.id)!.manager_rows["s_000000000001"]!.runtime_features,
    features,
  );
});

Deno.test("Admin Mode: an admin token without admin_mode acts as a regular user", async () => {
  await using gitlab = await startFakeGitLab({ adminMode: true });
  const plain = await call(gitlab, "GET", "/runners/all", { pat: gitlab.tokens.adminPat });
  assert.deepEqual(plain.body, { message: "403 Forbidden" });
  gitlab.state.pats.set("glpat-fake-admin-mode-00000", {
    token: "glpat-fake-admin-mode-00000",
    name: "admin-mode",
    user_id: 1,
    scopes: ["api", "admin_mode"],
    expires_at: null,
    revoked: false,
  });
  const scoped = await call(gitlab, "GET", "/runners/all", { pat: "glpat-fake-admin-mode-00000" });
  assert.equal(scoped.status, 200);
});

Deno.test("/version in every version, /metadata from 15.2", async () => {
  await using old = await startFakeGitLab({ version: "15.1" });
  const pat = old.tokens.adminPat;
  assert.deepEqual((await call(old, "GET", "/version", { pat })).body, {
    version: "15.1",
    revision: "fake0000",
  });
  assert.equal((await call(old, "GET", "/metadata", { pat })).status, 404);
  assert.equal((await call(old, "GET", "/version")).status, 401);
});
