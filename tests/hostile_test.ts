/**
 * A hostile network or GitLab (the fake's hostile mode, `tests/support/fake_gitlab/hostile.ts`):
 * register-runner's bounds on time and memory hold, secrets never show, and a creation is never
 * sent twice.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DENO_RUN_CLI, ROOT, runCli } from "./support/harness.ts";
import {
  countRequests,
  descriptionsOf,
  expectOk,
  ownRunners,
  withSetup,
  writeSite,
} from "./support/e2e.ts";

Deno.test("a server closing reused keep-alive connections never gets a creation twice", async () => {
  await withSetup({ closeReusedConnections: true }, async (gitlab, prefix) => {
    const names = ["shell", "cpu", "gpu", "batch"];
    await writeSite(gitlab, prefix, names);
    expectOk(await runCli(prefix, ["--concurrency", "1"]), gitlab);
    deepEqual(ownRunners(gitlab).map((r) => r.description).sort(), descriptionsOf(names));
    equal(countRequests(gitlab, "POST", "/user/runners"), names.length, "one POST per runner");
  });
});

Deno.test("--timeout is a hard bound: 24 runners at 0.8 s latency, --timeout 3", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    const write = async (tag: string) => {
      for (let i = 0; i < 24; i++) {
        const body = `url = "${gitlab.url}"\nexecutor = "shell"\ntags = ["${tag}"]\n`;
        await prefix.writeExecutor(`e${i}`, body);
      }
    };
    await write("a");
    expectOk(await runCli(prefix), gitlab);
    await write("b"); // every runner needs an update now
    gitlab.setOptions({ latencyMs: 800 });
    const started = performance.now();
    const result = await runCli(prefix, ["--timeout", "3", "--strict"]);
    const took = performance.now() - started;
    ok(took < 4000, `the run took ${Math.round(took)} ms`);
    equal(result.code, 5, result.stderr);
    match(result.stderr, /deadline|within/);
  });
});

const STEPPED_CLI = [...DENO_RUN_CLI.slice(0, -1), `${ROOT}tests/support/stepped_clock_cli.ts`];

Deno.test("a wall clock stepped 2 h forward mid-run (NTP at boot) does not fail the run", async () => {
  await withSetup({ latencyMs: 200 }, async (gitlab, prefix) => {
    const names = ["shell", "cpu"];
    await writeSite(gitlab, prefix, names);
    const stepFile = `${prefix.dir}/../${prefix.dir.split("/").pop()}.stepped`;
    gitlab.setGate((_request, phase) => {
      if (phase === "arrived") Deno.writeTextFileSync(stepFile, "");
      return "pass";
    });
    try {
      const result = await runCli(prefix, ["--timeout", "20"], {
        REGISTER_RUNNER_TEST_STEP_MS: String(2 * 3600_000),
        REGISTER_RUNNER_TEST_STEP_FILE: stepFile,
      }, { command: STEPPED_CLI });
      expectOk(result, gitlab);
      deepEqual(ownRunners(gitlab).map((r) => r.description).sort(), descriptionsOf(names));
    } finally {
      await Deno.remove(stepFile).catch(() => {});
    }
  });
});
