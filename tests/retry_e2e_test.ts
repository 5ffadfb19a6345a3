/**
 * Retries that respect GitLab, end to end: 5xx bursts, 429 with `Retry-After` or
 * `RateLimit-Reset` and a plain-text body, slow replies cut by the per-attempt timeout, all within
 * `--timeout`; and a registration whose outcome is unknown is never repeated within the run.
 */

import { equal, match, ok } from "node:assert/strict";
import type { RecordedRequest } from "./support/fake_gitlab/server.ts";
import { runCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  descriptionsOf,
  expectOk,
  ownRunners,
  withSetup,
  writeSite,
} from "./support/e2e.ts";

const NAMES = ["shell", "cpu"];

function arrivals(requests: RecordedRequest[], method: string, path: string): number[] {
  return requests.filter((r) => r.method === method && r.path === path).map((r) => r.at);
}

Deno.test("a 503 burst on the listing is retried with backoff, then the sync succeeds", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    gitlab.addFault({ kind: "status", method: "GET", path: "/runners/all", status: 503, times: 2 });
    // The attempts are debug lines (the default level prints only a GitLab that stays down).
    const result = await runCli(prefix, ["--timeout", "20", "--verbose"]);
    expectOk(result, gitlab);
    equal(countRequests(gitlab, "GET", "/runners/all"), 3);
    // 503 is a throttle: retried within --timeout (no count), jittered by its streak.
    match(result.stderr, /503.*retrying in [\d.]+ s.*attempt=1 wait=backoff throttled=1/);
    match(result.stderr, /attempt=2 wait=backoff throttled=2/);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});

Deno.test("429 with Retry-After: 1 and a plain-text body: the registration waits 1 s, then succeeds", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    gitlab.addFault({
      kind: "status",
      method: "POST",
      path: "/user/runners",
      status: 429,
      body: "Retry later\n",
      headers: { "Retry-After": "1" },
    });
    const result = await runCli(prefix, ["--timeout", "20", "--verbose"]);
    expectOk(result, gitlab);
    const [first, second] = arrivals(gitlab.requests, "POST", "/user/runners");
    ok(second! - first! >= 950, `waited ${second! - first!} ms`);
    match(result.stderr, /429: Retry later; retrying in [12](\.\d)? s.*wait=retry-after/);
    equal(ownRunners(gitlab).length, 1, "429 means GitLab did not act: one runner");
    await assertConverged(gitlab, prefix, descriptionsOf(["shell"]));
  });
});

Deno.test("429 with only RateLimit-Reset (epoch seconds): waits until then", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const reset = Math.ceil(Date.now() / 1000) + 1;
    gitlab.addFault({
      kind: "status",
      method: "GET",
      path: "/runners/all",
      status: 429,
      body: '{"message":{"error":"too many"}}',
      headers: { "RateLimit-Reset": String(reset) },
    });
    const result = await runCli(prefix, ["--timeout", "20", "--verbose"]);
    expectOk(result, gitlab);
    const [, second] = arrivals(gitlab.requests, "GET", "/runners/all");
    ok(second! >= reset * 1000 - 50, `retried ${reset * 1000 - second!} ms before the reset`);
    match(result.stderr, /wait=ratelimit-reset/);
  });
});

Deno.test("a reply slower than the per-attempt timeout is abandoned and retried within --timeout", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    // --timeout 4: each attempt gets at most 4/3 s; the first listing hangs for 3 s.
    gitlab.addFault({ kind: "delay", method: "GET", path: "/runners/all", delayMs: 3000 });
    const started = performance.now();
    const result = await runCli(prefix, ["--timeout", "4", "--verbose"]);
    const took = performance.now() - started;
    expectOk(result, gitlab);
    equal(countRequests(gitlab, "GET", "/runners/all"), 2, "abandoned once, then retried");
    match(result.stderr, /no complete reply within 1\.3 s/);
    ok(took < 3000, `did not wait for the slow reply: ${Math.round(took)} ms`);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});

Deno.test("GitLab slower than --timeout: the run ends on time (degraded start)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    expectOk(await runCli(prefix), gitlab);
    const good = await prefix.readOutput();
    gitlab.setOptions({ latencyMs: 10_000 });
    const started = performance.now();
    const result = await runCli(prefix, ["--timeout", "1.5"]);
    const took = performance.now() - started;
    equal(result.code, 0, result.stderr);
    ok(took < 3000, `ended after ${Math.round(took)} ms`);
    match(result.stdout, /UNREACHABLE/);
    equal(await prefix.readOutput(), good);
  });
});

for (
  const fault of [
    { kind: "drop-after-act" as const, what: "reply lost after GitLab acted" },
    { kind: "status" as const, status: 502, what: "502 from a gateway" },
    { kind: "status" as const, status: 504, what: "504 from a gateway" },
  ]
) {
  Deno.test(`registration outcome unknown (${fault.what}): not repeated in the run; next run converges`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, ["shell"]);
      expectOk(await runCli(prefix), gitlab);
      await writeSite(gitlab, prefix, ["shell", "cpu"]); // one new executor
      const before = await prefix.readOutput();
      const seen = gitlab.requests.length;
      gitlab.addFault({ ...fault, method: "POST", path: "/user/runners" });
      const result = await runCli(prefix, ["--timeout", "20"]);
      equal(result.code, 0, `degraded start with the previous config: ${result.stderr}`);
      equal(countRequests(gitlab, "POST", "/user/runners", seen), 1, "sent exactly once");
      match(result.stdout, /not repeated|UNREACHABLE/);
      equal(await prefix.readOutput(), before, "the last good config is kept");

      expectOk(await runCli(prefix), gitlab);
      const created = fault.kind === "drop-after-act" ? 1 : 2;
      equal(countRequests(gitlab, "POST", "/user/runners", seen), created);
      await assertConverged(gitlab, prefix, descriptionsOf(["shell", "cpu"]));
    });
  });
}
