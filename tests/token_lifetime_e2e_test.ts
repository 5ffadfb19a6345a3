/**
 * Token lifetime, end to end: `token_expires_at` from GitLab reaches the config, a token past
 * gitlab-runner's rotation point is warned about (a fresh one is not), and a token GitLab rejects
 * because it expired is recovered in place: same runner id, no new registration.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  descriptionsOf,
  expectOk,
  ownRunners,
  sectionsOf,
  withSetup,
  writeSite,
} from "./support/e2e.ts";

const NAMES = ["shell", "cpu", "gpu"];
const TWO_HOURS = 7200; // GitLab's shortest runner_token_expiration_interval

Deno.test("token_expires_at is written; a fresh 2 h token is not warned about", async () => {
  await withSetup({ tokenExpiresInSeconds: TWO_HOURS }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    for (const s of sectionsOf(await prefix.readOutput())) {
      const server = gitlab.runner(s.id as number)!;
      const written = new Date(String(s.token_expires_at)).getTime();
      equal(
        written,
        Math.floor(Date.parse(server.token_expires_at!) / 1000) * 1000,
        "to the second",
      );
    }
    ok(!/expire/.test(result.stderr), `no expiry warning:\n${result.stderr}`);
  });
});

Deno.test("a token past gitlab-runner's rotation point is warned about", async () => {
  await withSetup({ tokenExpiresInSeconds: TWO_HOURS }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    expectOk(await runCli(prefix), gitlab);
    // As if gitlab-runner had not run for 10 h: obtained long ago, still valid for < 2 h.
    const old = new Date(Date.now() - 10 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const text = (await prefix.readOutput())!.replace(
      /token_obtained_at = \S+/,
      `token_obtained_at = ${old}`,
    );
    await prefix.writeFile("config.main.toml", text);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(result.stderr, /^warn.*token of .*shell Runner expires at .* has not rotated it/m);
  });
});

Deno.test("expired token (GitLab rejects it): reset in place, same id, no registration", async () => {
  await withSetup({ tokenExpiresInSeconds: TWO_HOURS }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    expectOk(await runCli(prefix), gitlab);
    const ids = ownRunners(gitlab).map((r) => r.id);
    const cpu = ownRunners(gitlab).find((r) => r.description.includes("cpu"))!;
    gitlab.expireToken(cpu.id);
    const seen = gitlab.requests.length;
    const result = await runCli(prefix);
    expectOk(result, gitlab, [cpu.token]);
    match(
      result.stdout,
      /restored \(token reset\) +.*cpu Runner \(#\d+\): local token rejected by GitLab/,
    );
    equal(countRequests(gitlab, "POST", "/user/runners", seen), 0);
    equal(countRequests(gitlab, "POST", `/runners/${cpu.id}/reset_authentication_token`, seen), 1);
    deepEqual(ownRunners(gitlab).map((r) => r.id), ids);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
    const section = sectionsOf(await prefix.readOutput()).find((s) => s.id === cpu.id)!;
    ok(Date.parse(String(section.token_expires_at)) > Date.now(), "the new expiry is written");
  });
});

Deno.test("host off longer than the token lifetime: every token reset in place", async () => {
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  await withSetup({ tokenExpiresInSeconds: TWO_HOURS, clock }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    expectOk(await runCli(prefix), gitlab);
    const ids = ownRunners(gitlab).map((r) => r.id);
    offset = 3 * 3600_000; // GitLab's clock: three hours later, every token has expired
    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    equal(countRequests(gitlab, "POST", /reset_authentication_token$/, seen), NAMES.length);
    equal(countRequests(gitlab, "POST", "/user/runners", seen), 0);
    deepEqual(ownRunners(gitlab).map((r) => r.id), ids);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});
