import assert from "node:assert/strict";
import { startFakeGitLab } from "./server.ts";
import { call } from "./test_util.ts";

function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(", ")) {
    const match = /^<([^>]+)>; rel="(\w+)"$/.exec(part);
    if (match?.[1] !== undefined && match[2] !== undefined) out[match[2]] = match[1];
  }
  return out;
}

Deno.test("pagination: headers, Link, last page, default and max per_page", async () => {
  await using gitlab = await startFakeGitLab();
  for (let i = 0; i < 45; i++) gitlab.addRunner({ description: `r${i}` });
  const pat = gitlab.tokens.adminPat;
  const first = await call(gitlab, "GET", "/runners/all?type=instance_type", { pat });
  assert.equal((first.body as unknown[]).length, 20);
  assert.equal(first.headers.get("x-page"), "1");
  assert.equal(first.headers.get("x-per-page"), "20");
  assert.equal(first.headers.get("x-next-page"), "2");
  assert.equal(first.headers.get("x-prev-page"), "");
  assert.equal(first.headers.get("x-total"), "45");
  assert.equal(first.headers.get("x-total-pages"), "3");
  const rel = links(first.headers.get("link"));
  assert.deepEqual(Object.keys(rel), ["next", "first", "last"]);
  const next = new URL(rel.next ?? "");
  assert.equal(next.origin, gitlab.url);
  assert.equal(next.searchParams.get("page"), "2");
  assert.equal(next.searchParams.get("type"), "instance_type");

  const last = await call(gitlab, "GET", "/runners/all?page=3&per_page=20", { pat });
  assert.equal((last.body as unknown[]).length, 5);
  assert.equal(last.headers.get("x-next-page"), "");
  assert.equal(last.headers.get("x-prev-page"), "2");
  assert.deepEqual(Object.keys(links(last.headers.get("link"))), ["prev", "first", "last"]);

  const big = await call(gitlab, "GET", "/runners/all?per_page=1000", { pat });
  assert.equal(big.headers.get("x-per-page"), "100");
  assert.equal((big.body as unknown[]).length, 45);

  const beyond = await call(gitlab, "GET", "/runners/all?page=9", { pat });
  assert.deepEqual(beyond.body, []);
  const bad = await call(gitlab, "GET", "/runners/all?page=x", { pat });
  assert.deepEqual(bad.body, { error: "page is invalid" });

  // Walking the Link headers visits every runner exactly once.
  const seen = new Set<number>();
  let url: string | undefined = `${gitlab.apiUrl}/runners/all?per_page=7`;
  while (url !== undefined) {
    const res: Response = await fetch(url, { headers: { "PRIVATE-TOKEN": pat } });
    for (const r of await res.json() as { id: number }[]) seen.add(r.id);
    url = links(res.headers.get("link")).next;
  }
  assert.equal(seen.size, 45);
});

Deno.test("pagination: omitTotals drops x-total, x-total-pages and rel=last", async () => {
  await using gitlab = await startFakeGitLab({ omitTotals: true, defaultPerPage: 2 });
  for (let i = 0; i < 3; i++) gitlab.addRunner();
  const reply = await call(gitlab, "GET", "/runners/all", { pat: gitlab.tokens.adminPat });
  assert.equal(reply.headers.get("x-total"), null);
  assert.equal(reply.headers.get("x-total-pages"), null);
  assert.equal(reply.headers.get("x-next-page"), "2");
  assert.deepEqual(Object.keys(links(reply.headers.get("link"))), ["next", "first"]);
});

Deno.test("tag_list filter has AND semantics; entries carry no tag_list", async () => {
  await using gitlab = await startFakeGitLab();
  const both = gitlab.addRunner({ tag_list: ["host1", "main", "shell"] });
  gitlab.addRunner({ tag_list: ["host1", "other"] });
  gitlab.addRunner({ tag_list: ["host2", "main"] });
  const pat = gitlab.tokens.adminPat;
  for (const query of ["tag_list=host1,main", "tag_list[]=host1&tag_list[]=main"]) {
    const reply = await call(gitlab, "GET", `/runners/all?${query}`, { pat });
    const body = reply.body as Record<string, unknown>[];
    assert.deepEqual(body.map((r) => r.id), [both.id], query);
    assert.equal("tag_list" in (body[0] ?? {}), false);
    assert.equal(body[0]?.is_shared, true);
  }
  const record = gitlab.requests.at(-1);
  assert.equal(record?.query["tag_list[]"], "host1,main");
  assert.deepEqual(record?.params.tag_list, ["host1", "main"]);
});

Deno.test("listing filters: type, deprecated scope=shared, status, paused", async () => {
  await using gitlab = await startFakeGitLab();
  const pat = gitlab.tokens.adminPat;
  const shared = gitlab.addRunner({ contacted_at: new Date().toISOString() });
  const paused = gitlab.addRunner({ paused: true });
  const group = gitlab.addRunner({ runner_type: "group_type", group_ids: [10] });
  const ids = async (query: string) =>
    ((await call(gitlab, "GET", `/runners/all?${query}`, { pat })).body as { id: number }[])
      .map((r) => r.id).sort();
  assert.deepEqual(await ids("type=group_type"), [group.id]);
  assert.deepEqual(await ids("scope=shared"), [shared.id, paused.id]);
  assert.deepEqual(await ids("scope=specific"), [group.id]);
  assert.deepEqual(await ids("status=online"), [shared.id]);
  assert.deepEqual(await ids("status=never_contacted"), [paused.id, group.id]);
  assert.deepEqual(await ids("paused=true"), [paused.id]);
  const bad = await call(gitlab, "GET", "/runners/all?scope=bogus", { pat });
  assert.deepEqual(bad.body, { error: "scope does not have a valid value" });
  const badType = await call(gitlab, "GET", "/runners/all?type=x", { pat });
  assert.deepEqual(badType.body, { error: "type does not have a valid value" });
});

Deno.test("GET /runners/all is admin-only; GET /runners lists what the user manages", async () => {
  await using gitlab = await startFakeGitLab();
  const { tokens } = gitlab;
  gitlab.addRunner();
  const group = gitlab.addRunner({ runner_type: "group_type", group_ids: [10] });
  const project = gitlab.addRunner({ runner_type: "project_type", project_ids: [20] });
  const denied = await call(gitlab, "GET", "/runners/all", { pat: tokens.userPat });
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.body, { message: "403 Forbidden" });
  const readOnly = await call(gitlab, "GET", "/runners/all", { pat: tokens.readOnlyPat });
  assert.equal(readOnly.status, 200);
  const mine = await call(gitlab, "GET", "/runners", { pat: tokens.userPat });
  assert.deepEqual((mine.body as { id: number }[]).map((r) => r.id).sort(), [
    group.id,
    project.id,
  ]);
  const admin = await call(gitlab, "GET", "/runners", { pat: tokens.adminPat });
  assert.deepEqual(admin.body, [], "an admin's /runners is not all runners");
  const scope = await call(gitlab, "GET", "/runners?scope=shared", { pat: tokens.userPat });
  assert.deepEqual(scope.body, { message: "Scope contains invalid value" });
  assert.equal(gitlab.mutations().length, 0);
});

Deno.test("hostile mode: a stale listing row is filtered and shown stale, details stay current", async () => {
  await using gitlab = await startFakeGitLab();
  const runner = gitlab.addRunner({
    description: "host2 main Runner",
    tag_list: ["host2", "main"],
  });
  gitlab.setStaleListing(runner.id, {
    description: "host1 main Runner",
    tag_list: ["host1", "main"],
  });
  const pat = gitlab.tokens.adminPat;
  const listed = async (query: string) =>
    ((await call(gitlab, "GET", `/runners/all?${query}`, { pat })).body as Record<
      string,
      unknown
    >[]).map((r) => [r.id, r.description]);
  assert.deepEqual(await listed("tag_list=host1,main"), [[runner.id, "host1 main Runner"]]);
  assert.deepEqual(await listed("tag_list=host2"), []);
  const details = (await call(gitlab, "GET", `/runners/${runner.id}`, { pat })).body as Record<
    string,
    unknown
  >;
  assert.equal(details.description, "host2 main Runner");
  assert.deepEqual(details.tag_list, ["host2", "main"]);
  gitlab.setStaleListing(runner.id, undefined);
  assert.deepEqual(await listed("tag_list=host1,main"), []);
  assert.deepEqual(await listed("tag_list=host2"), [[runner.id, "host2 main Runner"]]);
  assert.throws(() => gitlab.setStaleListing(999, {}));
});
