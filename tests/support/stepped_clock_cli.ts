/**
 * The CLI (`main.ts`) with a wall clock that jumps, for end-to-end tests of clock steps: the wall
 * clock reads `REGISTER_RUNNER_TEST_SKEW_MS` ms ahead of the real one, plus
 * `REGISTER_RUNNER_TEST_STEP_MS` more from the moment the file `REGISTER_RUNNER_TEST_STEP_FILE`
 * exists (a test creates it, e.g. when the fake GitLab sees the first request: NTP stepping the
 * clock mid-run). The monotonic clock is the real one. Run it instead of `main.ts` through the
 * harness's `command` option.
 *
 * @module
 */

import { main } from "../../main.ts";
import { type Clock, systemClock } from "../../src/kernel/env.ts";

const skew = Number(Deno.env.get("REGISTER_RUNNER_TEST_SKEW_MS") ?? "0");
const step = Number(Deno.env.get("REGISTER_RUNNER_TEST_STEP_MS") ?? "0");
const stepFile = Deno.env.get("REGISTER_RUNNER_TEST_STEP_FILE");

function stepped(): boolean {
  if (stepFile === undefined) return false;
  try {
    Deno.statSync(stepFile);
    return true;
  } catch {
    return false;
  }
}

const clock: Clock = {
  now: () => new Date(Date.now() + skew + (stepped() ? step : 0)),
  monotonic: () => systemClock.monotonic(),
  sleep: (ms) => systemClock.sleep(ms),
};

Deno.exit(await main(Deno.args, clock));
