/**
 * The main scenarios against every GitLab version the fake models (tests/support/fake_gitlab/
 * versions.ts): fresh sync, restart without mutation, lost config recovered, drift fixed,
 * executor removed. The README's supported range is this test's list.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { SUPPORTED_VERSIONS } from "./support/fake_gitlab/versions.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, runCli } from "./support/cli.ts";
import { assertConverged, expectOk, ownRunners, sectionsOf, withSetup } from "./support/e2e.ts";
import type { Prefix } from "./support/prefix.ts";

const SHELL = (url: string) =>
  `url = "${url}"\nexecutor = "shell"\nmaintenance_note = "rack 12"\nmaximum_timeout = 7200\npaused = true\n`;
const DOCKER = (url: string) =>
  `url = "${url}"\nexecutor = "docker"\ntags = ["gpu"]\n[docker]\nimage = "alpine:3"\n`;
const DESCRIPTIONS = [`${HOST} main docker Runner`, `${HOST} main shell Runner`];

async function site(gitlab: FakeGitLab, prefix: Prefix): Promise<void> {
  await prefix.writeTemplate([{
    url: gitlab.url,
    personal_access_token: gitlab.tokens.adminPat,
    registration_token: gitlab.tokens.registrationToken,
  }]);
  await prefix.writeExecutor("shell", SHELL(gitlab.url));
  await prefix.writeExecutor("docker", DOCKER(gitlab.url));
}

/** A run that changes nothing in GitLab and leaves the config byte-identical. */
async function assertNoop(gitlab: FakeGitLab, prefix: Prefix, what: string): Promise<void> {
  const before = await prefix.readOutput();
  gitlab.clearRequests();
  expectOk(await runCli(prefix), gitlab);
  deepEqual(
    gitlab.mutations().map((r) => `${r.method} ${r.path}`),
    [],
    `${what}: no mutation`,
  );
  equal(await prefix.readOutput(), before, `${what}: config unchanged`);
}

Deno.test("main scenarios on every supported GitLab version", async (t) => {
  for (const version of SUPPORTED_VERSIONS) {
    await t.step(`GitLab ${version}`, async () => {
      await withSetup({ version }, async (gitlab, prefix) => {
        await site(gitlab, prefix);
        expectOk(await runCli(prefix), gitlab);
        await assertConverged(gitlab, prefix, DESCRIPTIONS);
        const shell = ownRunners(gitlab).find((r) => r.description.includes("shell"))!;
        equal(shell.paused, true, "paused at registration");
        equal(shell.maximum_timeout, 7200);

        await assertNoop(gitlab, prefix, "restart");

        await Deno.remove(prefix.outputFile);
        expectOk(await runCli(prefix), gitlab);
        await assertConverged(gitlab, prefix, DESCRIPTIONS);
        await assertNoop(gitlab, prefix, "after recovery");

        const docker = ownRunners(gitlab).find((r) => r.description.includes("docker"))!;
        gitlab.updateRunner(docker.id, { tag_list: [...docker.tag_list, "drift"], locked: true });
        expectOk(await runCli(prefix), gitlab);
        const fixed = gitlab.runner(docker.id)!;
        ok(!fixed.tag_list.includes("drift"), "drifted tag removed");
        equal(fixed.locked, false, "drifted attribute restored");
        await assertNoop(gitlab, prefix, "after drift fixed");

        await prefix.removeExecutor("docker");
        expectOk(await runCli(prefix), gitlab);
        await assertConverged(gitlab, prefix, [`${HOST} main shell Runner`]);
        equal(sectionsOf(await prefix.readOutput()).length, 1);
        await assertNoop(gitlab, prefix, "after executor removed");
      });
    });
  }
});
