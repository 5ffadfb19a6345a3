/**
 * Request-count tests: the real CLI against the fake GitLab, asserting exactly which requests a
 * fresh sync and an unchanged restart make, that follow-up requests do not wait for the whole
 * listing, that connections are reused and that GitLabs are synced in parallel. Performance is
 * asserted by counts and order here, never by timing; `deno task bench` measures time.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import {
  expectedRequests,
  route,
  type Scenario,
  startWorkload,
  tally,
  type Workload,
} from "../bench/workload.ts";
import { type FakeGitLab, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { runCli } from "./support/cli.ts";
import { Prefix } from "./support/prefix.ts";

/** Runs the CLI once and returns the requests the fake saw during that run. */
async function syncOnce(site: Workload, args: string[] = []) {
  const seen = site.gitlab.requests.length;
  site.counter.reset();
  const result = await runCli(site.prefix, args);
  equal(result.code, 0, `exit 0 expected; stderr:\n${result.stderr}`);
  return site.gitlab.requests.slice(seen);
}

for (const n of [1, 10, 40]) {
  Deno.test(`N=${n}: fresh = 1 listing + N creations; restart = pages + N verifies + N details`, async () => {
    await using site = await startWorkload(n);
    for (const scenario of ["fresh", "restart"] as Scenario[]) {
      const requests = await syncOnce(site);
      deepEqual(tally(requests), expectedRequests(n, scenario), scenario);
    }
    deepEqual(site.gitlab.mutations().filter((m) => m.path !== "/user/runners"), []);
  });
}

Deno.test("several listing pages: one request per page, details and verifies once per runner", async () => {
  await using site = await startWorkload(10, { maxPerPage: 4 });
  await syncOnce(site);
  const requests = await syncOnce(site);
  deepEqual(tally(requests), expectedRequests(10, "restart", 4));
  const pages = requests.filter((r) => route(r) === "GET /runners/all").map((r) => r.query.page);
  deepEqual(pages.sort(), ["1", "2", "3"]);
});

Deno.test("runners of other hosts or made by hand get no details read", async () => {
  await using site = await startWorkload(2);
  await syncOnce(site);
  // Carries both tags, so it is listed, but its description is not one register-runner gives.
  site.gitlab.addRunner({ description: "hand-made", tag_list: ["node7", "main"] });
  site.gitlab.addRunner({ description: "node8 main shell Runner", tag_list: ["node8", "main"] });
  const requests = await syncOnce(site);
  deepEqual(tally(requests), expectedRequests(2, "restart"));
});

Deno.test("details reads start as each page arrives, not after the last page", async () => {
  // No x-total-pages: pages are read one after the other, each reply naming the next.
  await using site = await startWorkload(10, { maxPerPage: 4, omitTotals: true, latencyMs: 30 });
  await syncOnce(site);
  const requests = await syncOnce(site);
  deepEqual(tally(requests), expectedRequests(10, "restart", 4));
  const routes = requests.map(route);
  const firstDetails = routes.indexOf("GET /runners/:id");
  const lastPage = routes.lastIndexOf("GET /runners/all");
  ok(firstDetails < lastPage, `a details read precedes the last page: ${routes.join(", ")}`);
});

Deno.test("a details read refused mid-listing fails the sync cleanly (exit 4, config kept)", async () => {
  await using site = await startWorkload(10, { maxPerPage: 4, omitTotals: true, latencyMs: 10 });
  await syncOnce(site);
  const before = await site.prefix.readOutput();
  site.gitlab.addFault({ method: "GET", path: /^\/runners\/\d+$/, kind: "status", status: 401 });
  const result = await runCli(site.prefix);
  equal(result.code, 4, result.stderr);
  ok(!/uncaught/i.test(result.stderr), result.stderr);
  equal(await site.prefix.readOutput(), before);
});

Deno.test("the listing is queued before the token checks", async () => {
  await using site = await startWorkload(3);
  await syncOnce(site);
  const requests = await syncOnce(site, ["--concurrency", "1"]);
  deepEqual(tally(requests), expectedRequests(3, "restart"));
  equal(route(requests[0]!), "GET /runners/all");
});

Deno.test("requests run concurrently over a few reused connections", async () => {
  await using site = await startWorkload(40, { latencyMs: 5 });
  await syncOnce(site);
  const requests = await syncOnce(site, ["--concurrency", "8"]);
  // 40 verifies, 40 details, the listing and the access token's check.
  equal(requests.length, 82);
  // Without keep-alive every request would open its own connection.
  ok(site.counter.accepted <= 16, `${site.counter.accepted} connections for 82 requests`);
  ok(site.counter.peak >= 2, `requests overlapped (${site.counter.peak} connections at once)`);
});

Deno.test("creations for different runners run concurrently (personal access token)", async () => {
  await using site = await startWorkload(10, { latencyMs: 20 });
  const requests = await syncOnce(site);
  deepEqual(tally(requests), expectedRequests(10, "fresh"));
  // One at a time, the fresh sync would use a single connection (10 round trips, not 2).
  ok(site.counter.peak >= 2, `${site.counter.peak} connection(s) in use at once`);
});

Deno.test("two GitLabs are synced in parallel", async () => {
  const gitlabs: FakeGitLab[] = [
    await startFakeGitLab({ latencyMs: 30 }),
    await startFakeGitLab({ latencyMs: 30 }),
  ];
  const prefix = await Prefix.create();
  try {
    await prefix.writeTemplate(
      gitlabs.map((g) => ({ url: g.url, personal_access_token: g.tokens.adminPat })),
    );
    for (const [i, g] of gitlabs.entries()) {
      await prefix.writeExecutor(`e${i}`, `url = "${g.url}"\nexecutor = "shell"\n`);
    }
    const result = await runCli(prefix);
    equal(result.code, 0, result.stderr);
    const [a, b] = gitlabs.map((g) => g.requests);
    // Each sync is listing, then creation; in sequence one would start after the other ended.
    ok(b![0]!.at < a!.at(-1)!.at && a![0]!.at < b!.at(-1)!.at, "the syncs overlap");
  } finally {
    for (const g of gitlabs) await g.close();
    await prefix.cleanup();
  }
});

Deno.test("restart: details of runners the config knows are read alongside the listing, not after it", async () => {
  const latencyMs = 150;
  await using site = await startWorkload(3, { latencyMs });
  await syncOnce(site);
  const requests = await syncOnce(site);
  deepEqual(tally(requests), expectedRequests(3, "restart"));
  const listing = requests.find((r) => route(r) === "GET /runners/all")!;
  const details = requests.filter((r) => route(r) === "GET /runners/:id");
  // Without the speculative reads, details would arrive one latency after the listing. The pool
  // starts with 2 requests in flight (slow start, see src/gitlab/pool.ts), so only the first
  // goes out beside the listing; the others follow as the first replies come back.
  const early = details.filter((d) => d.at - listing.at < latencyMs / 2);
  ok(
    early.length >= 1,
    `details reads ${details.map((d) => d.at - listing.at)} ms after the listing`,
  );
});
