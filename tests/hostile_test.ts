/**
 * A hostile network or GitLab (the fake's hostile mode, `tests/support/fake_gitlab/hostile.ts`):
 * register-runner's bounds on time and memory hold, secrets never show, and a creation is never
 * sent twice.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DENO_RUN_CLI, ROOT, runCli } from "./support/cli.ts";
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

Deno.test("credentials GitLab echoes back never show: straddling the clip, JSON- or URL-encoded", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const pat = 'glpat-ad"min\\quote-0123456789';
    await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: pat }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    for (const padding of [480, 0]) {
      gitlab.addFault({
        method: "GET",
        path: "/runners/all",
        kind: "hostile",
        hostile: { kind: "echo-credentials", padding, encodings: ["raw", "json", "url"] },
      });
      const result = await runCli(prefix, ["--output", "json"]);
      equal(result.code, 4, result.stderr);
      const shown = result.stdout + result.stderr;
      for (const piece of [pat.slice(0, 12), "min\\\\quote", "min%5Cquote", "0123456789"]) {
        ok(!shown.includes(piece), `padding ${padding}: ${piece} shown in\n${shown}`);
      }
      match(shown, /\[redacted\]/);
    }
  });
});

Deno.test("the password of a url's user info is never printed", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const withPassword = gitlab.url.replace("http://", "http://user:hunter2pw@");
    await prefix.writeTemplate([{
      url: withPassword,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${withPassword}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix);
    equal(result.code, 3, result.stdout + result.stderr);
    ok(!(result.stdout + result.stderr).includes("hunter2pw"), result.stderr);
    match(result.stderr, /user:\[redacted\]@/);
  });
});

Deno.test("a 400 MiB reply is cut off while streaming, with a clear error", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    gitlab.addFault({
      method: "GET",
      path: "/runners/all",
      kind: "hostile",
      times: Infinity,
      hostile: { kind: "huge-body" },
    });
    const result = await runCli(prefix, ["--timeout", "20"]);
    equal(result.code, 5, result.stderr);
    match(result.stderr, /longer than 8 MiB/);
  });
});

Deno.test("endless pages with lying totals stop at ceil(x-total / x-per-page), or at the deadline", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const fault = (headers: Record<string, string>) =>
      gitlab.addFault({
        method: "GET",
        path: "/runners/all",
        kind: "hostile",
        times: Infinity,
        hostile: { kind: "endless-pages", headers },
      });
    fault({ "x-total-pages": "1000000000", "x-total": "3", "x-per-page": "1" });
    const lying = await runCli(prefix);
    equal(lying.code, 4, lying.stderr);
    match(lying.stderr, /holds 3 page\(s\)/);
    ok(countRequests(gitlab, "GET", "/runners/all") <= 3, "no more pages than the totals say");

    gitlab.clearFaults();
    gitlab.clearRequests();
    fault({}); // no totals at all: only the time budget bounds it
    const started = performance.now();
    const endless = await runCli(prefix, ["--timeout", "2", "--strict"]);
    ok(performance.now() - started < 5000, "bounded by --timeout");
    equal(endless.code, 5, endless.stderr);
    match(endless.stderr, /pages read and the listing still pointed further/);
  });
});

Deno.test("a reply trickling in byte by byte is aborted at the deadline", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    gitlab.addFault({
      method: "GET",
      path: "/runners/all",
      kind: "hostile",
      times: Infinity,
      hostile: { kind: "trickle", chunkBytes: 1, intervalMs: 1500 },
    });
    const started = performance.now();
    const result = await runCli(prefix, ["--timeout", "2", "--strict"]);
    ok(performance.now() - started < 5000, "bounded by --timeout");
    equal(result.code, 5, result.stderr);
  });
});
