import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FakeClock } from "../../tests/support/env.ts";
import {
  backoffMs,
  crowdMs,
  DEFAULT_BACKOFF,
  parseRateLimitReset,
  parseRetryAfter,
  retryWait,
  ThrottleGate,
} from "./retry.ts";

const NOW = Date.UTC(2026, 0, 1);

Deno.test("backoffMs doubles its ceiling per attempt, caps it, and scales it by the random value", () => {
  const half = () => 0.5;
  assertEquals([1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, half, DEFAULT_BACKOFF)), [
    500,
    1000,
    2000,
    4000,
    8000,
    15000,
    15000,
  ]);
  assertEquals(backoffMs(3, () => 0, DEFAULT_BACKOFF), 0);
  assertEquals(backoffMs(3, () => 0.999, DEFAULT_BACKOFF), 3996);
});

Deno.test("parseRetryAfter reads delta seconds and HTTP dates", () => {
  assertEquals(parseRetryAfter("7", NOW), 7000);
  assertEquals(parseRetryAfter(" 0 ", NOW), 0);
  assertEquals(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW), 30_000);
  assertEquals(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW), 0);
  assertEquals(parseRetryAfter("soon", NOW), undefined);
  assertEquals(parseRetryAfter(null, NOW), undefined);
});

Deno.test("parseRateLimitReset reads Unix epoch seconds (not a delta), small values as a delta", () => {
  assertEquals(parseRateLimitReset(String(NOW / 1000 + 42), NOW), 42_000);
  assertEquals(parseRateLimitReset(String(NOW / 1000 - 42), NOW), 0);
  assertEquals(parseRateLimitReset("5", NOW), 5000);
  assertEquals(parseRateLimitReset("later", NOW), undefined);
  assertEquals(parseRateLimitReset(null, NOW), undefined);
});

Deno.test("retryWait: Retry-After first, then RateLimit-Reset (429 only), else backoff; capped at 60 s", () => {
  const half = () => 0.5;
  const h = (init: Record<string, string>) => new Headers(init);
  const reset = String(NOW / 1000 + 20);
  assertEquals(retryWait(429, h({ "retry-after": "9", "ratelimit-reset": reset }), 1, NOW, half), {
    ms: 9000,
    requestedMs: 9000,
    source: "retry-after",
  });
  assertEquals(retryWait(429, h({ "ratelimit-reset": reset }), 1, NOW, half), {
    ms: 20_000,
    requestedMs: 20_000,
    source: "ratelimit-reset",
  });
  assertEquals(retryWait(429, h({ "retry-after": "3600" }), 1, NOW, half), {
    ms: 60_000,
    requestedMs: 3_600_000,
    source: "retry-after",
  });
  assertEquals(retryWait(503, h({ "retry-after": "4" }), 1, NOW, half), {
    ms: 4000,
    requestedMs: 4000,
    source: "retry-after",
  });
  assertEquals(retryWait(503, h({ "ratelimit-reset": reset }), 2, NOW, half), {
    ms: 1000,
    requestedMs: 1000,
    source: "backoff",
  });
  assertEquals(retryWait(502, h({ "retry-after": "4" }), 1, NOW, half), {
    ms: 500,
    requestedMs: 500,
    source: "backoff",
  });
  assertEquals(retryWait(undefined, undefined, 3, NOW, half), {
    ms: 2000,
    requestedMs: 2000,
    source: "backoff",
  });
});

function gate(random = 0.5) {
  const clock = new FakeClock(NOW);
  const g = new ThrottleGate({
    now: () => clock.now().getTime(),
    wallNow: () => clock.now().getTime(),
    sleep: (ms) => clock.sleep(ms),
    random: () => random,
  });
  return { clock, g };
}

/** Rack::Attack's headers (lib/gitlab/rack_attack.rb) for a `perSecond` throttle, `observed` counted. */
function rackAttack(observed: number, retryAfter = 1, perSecond = 20): Headers {
  return new Headers({
    "retry-after": String(retryAfter),
    "ratelimit-limit": String(perSecond * 60),
    "ratelimit-observed": String(observed),
    "ratelimit-remaining": "0",
    "ratelimit-reset": String(NOW / 1000 + retryAfter),
  });
}

Deno.test("ThrottleGate.plan: GitLab's wait plus full jitter whose ceiling doubles per 429 in a row, up to 8 s", () => {
  const { g } = gate(0.5);
  const ceilings: number[] = [];
  for (let i = 0; i < 6; i++) {
    const wait = g.plan(429, rackAttack(100, 1, 100)); // 1 s of capacity counted: no wider
    assertEquals([wait.requestedMs, wait.source, wait.streak], [1000, "retry-after", i + 1]);
    assertEquals(wait.ms, 1000 + wait.jitterMs);
    ceilings.push(wait.jitterMs * 2);
    g.hold(wait);
  }
  assertEquals(ceilings, [1000, 2000, 4000, 8000, 8000, 8000]);
  assertEquals(gate(0).g.plan(429, rackAttack(21)).ms, 1000, "never sooner than asked");
  assertEquals(gate(0.5).g.plan(429, rackAttack(21)).jitterMs, 525, "21 counted at 20/s: 1.05 s");
});

Deno.test("ThrottleGate.plan: a crowded window (RateLimit-Observed / RateLimit-Limit) widens the first jitter", () => {
  const { g } = gate(0.5);
  // 100 requests counted at 1200 per minute: 5 s of GitLab's capacity.
  assertEquals(g.plan(429, rackAttack(100)).jitterMs, 2500);
  assertEquals(g.plan(429, rackAttack(1000)).jitterMs, 4000, "capped at 8 s");
  assertEquals(crowdMs(new Headers({ "ratelimit-observed": "30" })), 0, "no limit: no hint");
});

Deno.test("ThrottleGate.plan: what GitLab asks is reported uncapped; RateLimit-Reset when no Retry-After; 503 and bare 429", () => {
  const { g } = gate(0);
  assertEquals(g.plan(429, rackAttack(30, 3600)).requestedMs, 3_600_000);
  const reset = new Headers({ "ratelimit-reset": String(NOW / 1000 + 7) });
  assertEquals([g.plan(429, reset).requestedMs, g.plan(429, reset).source], [
    7000,
    "ratelimit-reset",
  ]);
  assertEquals(g.plan(503, reset).source, "backoff", "RateLimit-Reset is a 429 header");
  assertEquals(g.plan(503, new Headers({ "retry-after": "4" })).requestedMs, 4000);
  assertEquals(gate(0.5).g.plan(429, new Headers()).ms, 500, "no header: jitter only");
});

Deno.test("ThrottleGate: open() waits until the hold ends, overlapping holds are counted once, a success shortens the streak", async () => {
  const { clock, g } = gate(0.5);
  await g.open();
  assertEquals(clock.sleeps, [], "an open gate does not sleep");
  g.hold({ ms: 3000, requestedMs: 1000, jitterMs: 2000, streak: 1, source: "retry-after" });
  g.hold({ ms: 2000, requestedMs: 1000, jitterMs: 1000, streak: 2, source: "retry-after" });
  g.hold({ ms: 4000, requestedMs: 1000, jitterMs: 3000, streak: 3, source: "retry-after" });
  await g.open();
  assertEquals(clock.sleeps, [4000]);
  assertEquals(g.stats(), { replies: 3, waitedMs: 4000 });
  g.passed();
  assertEquals(g.streak, 2.5, "half a step per success");
  g.passed();
  assertEquals(g.streak, 2);
  g.hold({ ms: 5000, requestedMs: 1000, jitterMs: 4000, streak: 3, source: "retry-after" });
  await g.open(clock.now().getTime() + 1500);
  assertEquals(clock.sleeps, [4000, 1500], "never past `until`");
});
