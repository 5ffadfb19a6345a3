/**
 * One writer at a time: concurrent runs on one prefix and instance take turns on the lock, and a
 * run killed while holding it never blocks the next one.
 */

import { equal, match, ok } from "node:assert/strict";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { runCli, spawnCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  descriptionsOf,
  expectOk,
  withSetup,
  writeSite,
} from "./support/e2e.ts";

const NAMES = ["shell", "cpu", "gpu", "batch"];

/** Holds the first request that arrives from now on; resolves once one is held. */
function holdNextRequest(gitlab: FakeGitLab): Promise<void> {
  return new Promise((resolve) => {
    let held = false;
    gitlab.setGate((_request, phase) => {
      if (held || phase !== "arrived") return "pass";
      held = true;
      resolve();
      return "hold";
    });
  });
}

Deno.test("5 concurrent runs on a fresh prefix: one runner per executor, all exit 0", async () => {
  await withSetup({ latencyMs: 5 }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    const runs = Array.from({ length: 5 }, () => spawnCli(prefix, ["--lock-timeout", "30"]));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const result of results) expectOk(result, gitlab);
    equal(countRequests(gitlab, "POST", "/user/runners"), NAMES.length, "registered once each");
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
    equal(results.filter((r) => /config: written/.test(r.stdout)).length, 1, "one writer");
  });
});

Deno.test("a second run waits for the lock, or gives up with exit 6 after --lock-timeout", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    const held = holdNextRequest(gitlab);
    const first = spawnCli(prefix);
    await held; // the first run holds the lock and waits for GitLab

    const started = performance.now();
    const impatient = await runCli(prefix, ["--lock-timeout", "0.3"]);
    const waited = performance.now() - started;
    equal(impatient.code, 6, impatient.stderr);
    match(impatient.stderr, new RegExp(`pid ${first.child.pid}`));
    ok(waited < 5000, `gave up after ${Math.round(waited)} ms`);

    const patient = spawnCli(prefix, ["--lock-timeout", "30"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    gitlab.setGate(undefined); // GitLab answers again (503 for the held request: retried)
    expectOk(await first.done, gitlab);
    expectOk(await patient.done, gitlab);
    equal(countRequests(gitlab, "POST", "/user/runners"), NAMES.length);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});

Deno.test("kill -9 of the run holding the lock: the next run proceeds at once", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    const held = holdNextRequest(gitlab);
    const first = spawnCli(prefix);
    await held;
    first.child.kill("SIGKILL");
    equal((await first.done).signal, "SIGKILL");
    gitlab.setGate(undefined);

    const started = performance.now();
    const next = await runCli(prefix, ["--lock-timeout", "0.5"]);
    const took = performance.now() - started;
    expectOk(next, gitlab);
    ok(took < 3000, `the next run took ${Math.round(took)} ms`);
    const lock = await Deno.stat(`${prefix.dir}/.register-runner.main.lock`);
    equal(lock.mode! & 0o777, 0o600, "the lock file stays, private");
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});
