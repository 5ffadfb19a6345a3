import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  backoffMs,
  DEFAULT_BACKOFF,
  parseRateLimitReset,
  parseRetryAfter,
  retryWait,
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
