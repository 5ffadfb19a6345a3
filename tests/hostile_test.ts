/**
 * A hostile network or GitLab (the fake's hostile mode, `tests/support/fake_gitlab/hostile.ts`):
 * register-runner's bounds on time and memory hold, secrets never show, and a creation is never
 * sent twice.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli } from "./support/harness.ts";
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
