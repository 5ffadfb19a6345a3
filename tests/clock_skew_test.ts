/**
 * A host clock far from GitLab's (a dead RTC battery, no NTP yet): token times come from GitLab's
 * `Date` header, so fresh tokens are not called expired and config.toml never keeps a
 * `token_obtained_at` in the future; the skew is warned about with both times.
 */

import { equal, match, ok } from "node:assert/strict";
import { DENO_RUN_CLI, ROOT, runCli } from "./support/cli.ts";
import { expectOk, sectionsOf, withSetup, writeSite } from "./support/e2e.ts";

const STEPPED_CLI = [...DENO_RUN_CLI.slice(0, -1), `${ROOT}tests/support/stepped_clock_cli.ts`];
const TEN_YEARS_MS = 10 * 365 * 24 * 3600_000;
const AHEAD = { REGISTER_RUNNER_TEST_SKEW_MS: String(TEN_YEARS_MS) };
const THIRTY_DAYS = 30 * 24 * 3600;

/** Seconds precision: config.toml holds times to the second. */
function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

Deno.test("a host clock 10 years ahead: fresh tokens not 'expired', obtained at GitLab's time", async () => {
  await withSetup({ tokenExpiresInSeconds: THIRTY_DAYS }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell", "cpu"]);
    for (const run of ["register", "restart (verify)"]) {
      const before = floorSecond(Date.now());
      const result = await runCli(prefix, [], AHEAD, { command: STEPPED_CLI });
      const after = Date.now();
      expectOk(result, gitlab);
      ok(!/expire/i.test(result.stderr), `${run}: no expiry warning:\n${result.stderr}`);
      match(
        result.stderr,
        /^warn.*this host's clock reads 20\d\d-.* but GitLab .* says 20\d\d-.*Date header/m,
        `${run}: the skew is named`,
      );
      const sections = sectionsOf(await prefix.readOutput());
      equal(sections.length, 2);
      for (const s of sections) {
        const obtained = new Date(String(s.token_obtained_at)).getTime();
        ok(
          obtained >= before - 1000 && obtained <= after,
          `${run}: token_obtained_at ${String(s.token_obtained_at)} is the fake's time`,
        );
      }
    }
  });
});

Deno.test("a token_obtained_at left in the future is brought back once the clock is right", async () => {
  await withSetup({ tokenExpiresInSeconds: THIRTY_DAYS }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    expectOk(await runCli(prefix), gitlab);
    // As an earlier run (or gitlab-runner rotating) wrote it while the clock was 10 years ahead.
    const future = new Date(Date.now() + TEN_YEARS_MS).toISOString().replace(/\.\d+Z$/, "Z");
    const text = (await prefix.readOutput())!.replace(
      /token_obtained_at = \S+/,
      `token_obtained_at = ${future}`,
    );
    await prefix.writeFile("config.main.toml", text);
    const before = floorSecond(Date.now());
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    const [section] = sectionsOf(await prefix.readOutput());
    const obtained = new Date(String(section!.token_obtained_at)).getTime();
    ok(
      obtained >= before && obtained <= Date.now(),
      `token_obtained_at ${String(section!.token_obtained_at)} is GitLab's time now`,
    );
    ok(!/clock reads/.test(result.stderr), "no skew warning with a right clock");
  });
});
