import { equal } from "node:assert/strict";
import { startFakeGitLab } from "./server.ts";
import { call } from "./test_util.ts";

Deno.test("throttle: Rack::Attack's 429 once a fixed window's count passes the limit; rejected requests count too", async () => {
  // 2026-01-01T00:00:10Z: 10 s into a 60 s window aligned to the epoch.
  let now = new Date(Date.UTC(2026, 0, 1, 0, 0, 10));
  await using gitlab = await startFakeGitLab({
    clock: () => now,
    throttle: { limit: 2, periodSeconds: 60 },
  });
  const pat = gitlab.tokens.adminPat;
  equal((await call(gitlab, "GET", "/runners/all", { pat })).status, 200);
  equal((await call(gitlab, "GET", "/runners/all", { pat })).status, 200);
  const limited = await call(gitlab, "GET", "/runners/all", { pat });
  equal(limited.status, 429);
  equal(limited.body, "Retry later\n");
  const h = limited.headers;
  equal(h.get("content-type"), "text/plain");
  equal(h.get("ratelimit-name"), "throttle_authenticated_api");
  equal(h.get("ratelimit-limit"), "2", "the limit scaled to 60 s: 2 × 60 / 60");
  equal(h.get("ratelimit-observed"), "3");
  equal(h.get("ratelimit-remaining"), "0");
  const reset = Date.UTC(2026, 0, 1, 0, 1, 0) / 1000;
  equal(h.get("ratelimit-reset"), String(reset), "Unix seconds at the window's end");
  equal(h.get("ratelimit-resettime"), "Thu, 01 Jan 2026 00:01:00 GMT");
  equal(h.get("retry-after"), "50", "period − now mod period");
  const again = await call(gitlab, "POST", "/runners/verify", { json: { token: "glrt-nope" } });
  equal(again.headers.get("ratelimit-observed"), "4", "every request counts, 429s included");
  equal(gitlab.throttled, 2);
  now = new Date(reset * 1000);
  equal((await call(gitlab, "GET", "/runners/all", { pat })).status, 200, "a new window");
  gitlab.setThrottle(undefined);
  for (let i = 0; i < 5; i++) equal((await call(gitlab, "GET", "/version", { pat })).status, 200);
});

Deno.test("throttle: a 1 s window scales RateLimit-Limit to 60 s and always says Retry-After: 1", async () => {
  const now = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 900));
  await using gitlab = await startFakeGitLab({
    clock: () => now,
    throttle: { limit: 1, periodSeconds: 1 },
  });
  await call(gitlab, "GET", "/version", { pat: gitlab.tokens.adminPat });
  const limited = await call(gitlab, "GET", "/version", { pat: gitlab.tokens.adminPat });
  equal(limited.headers.get("ratelimit-limit"), "60");
  equal(limited.headers.get("retry-after"), "1");
  equal(limited.headers.get("ratelimit-reset"), String(Date.UTC(2026, 0, 1, 0, 0, 1) / 1000));
});
