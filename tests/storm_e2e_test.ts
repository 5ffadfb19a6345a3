/**
 * A throttled GitLab, end to end: retries bounded by `--timeout` rather than a count, the time
 * spent throttled reported, and a small boot storm (hosts at once against one Rack::Attack
 * throttle) in which every host converges and a restart changes nothing.
 */

import { deepStrictEqual, equal, match } from "node:assert/strict";
import { startFleet } from "../bench/fleet.ts";
import { runCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  descriptionsOf,
  expectOk,
  withSetup,
  writeSite,
} from "./support/e2e.ts";

Deno.test("a GitLab throttling one request 6 times within --timeout converges (5 attempts used to give up, exit 5)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    // Rack::Attack's reply (lib/gitlab/rack_attack.rb): text/plain, Retry-After and RateLimit-*.
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    gitlab.addFault({
      kind: "status",
      method: "GET",
      path: "/runners/all",
      status: 429,
      body: "Retry later\n",
      headers: {
        "Content-Type": "text/plain",
        "Retry-After": "1",
        "RateLimit-Name": "throttle_authenticated_api",
        "RateLimit-Limit": "60",
        "RateLimit-Observed": "2",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": reset,
      },
      times: 6,
    });
    // The retry waits are debug lines (--verbose); the throttle's cost is the one warning.
    const result = await runCli(prefix, ["--timeout", "60", "--verbose"]);
    expectOk(result, gitlab);
    equal(countRequests(gitlab, "GET", "/runners/all"), 7);
    match(
      result.stderr,
      /^debug: .*429: Retry later; retrying in [\d.]+ s.*wait=retry-after throttled=6/m,
    );
    const warnings = result.stderr.split("\n").filter((l) => /^(warn|error):/.test(l));
    equal(warnings.length, 1, result.stderr);
    match(
      warnings[0]!,
      /^warn: GitLab http:\/\/127\.0\.0\.1:\d+ throttled this run: 6 replies 429 or 503, requests held back for [\d.]+ s in all/,
    );
    await assertConverged(gitlab, prefix, descriptionsOf(["shell"]));
  });
});

Deno.test("a Retry-After beyond --timeout ends the attempt at once (degraded start), without waiting", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    expectOk(await runCli(prefix, ["--quiet"]), gitlab);
    gitlab.addFault({
      kind: "status",
      method: "GET",
      path: "/runners/all",
      status: 429,
      body: "Retry later\n",
      headers: { "Retry-After": "3600" },
      times: Infinity,
    });
    const t0 = performance.now();
    const result = await runCli(prefix, ["--timeout", "30"]);
    equal(result.code, 0, result.stderr);
    equal(countRequests(gitlab, "GET", "/runners/all"), 2);
    match(result.stderr, /asks to retry in 3600 s \(Retry-After\), more than the [\d.]+ s left/);
    equal(performance.now() - t0 < 20_000, true, "did not sleep the budget away");
  });
});

Deno.test("a boot storm: 12 hosts at once against 6 req/s converge, each with exactly its runners; the restart changes nothing", async () => {
  await using fleet = await startFleet({
    hosts: 12,
    executors: 2,
    ratePerSecond: 6,
    latencyMs: 5,
    timeoutSeconds: 60,
    concurrency: 8,
  });
  for (const scenario of ["fresh", "restart"] as const) {
    const r = await fleet.storm(scenario);
    deepStrictEqual({ failed: r.failed, degraded: r.degraded, wrong: r.wrong }, {
      failed: [],
      degraded: [],
      wrong: [],
    }, scenario);
    equal(r.successful, r.minimum, `${scenario}: no request beyond the minimum got through`);
    equal(r.mutations, scenario === "fresh" ? 24 : 0, scenario);
  }
});
