import { equal, match } from "node:assert/strict";
import { notAfter, serverDateOf, serverNow, skewWarning } from "./server_time.ts";

Deno.test("serverDateOf: an HTTP date; absent, garbage or implausible ones are unknown", () => {
  const at = (v: string) => serverDateOf(new Headers({ date: v }));
  equal(at("Tue, 01 Dec 2026 09:18:43 GMT")?.toISOString(), "2026-12-01T09:18:43.000Z");
  equal(serverDateOf(new Headers()), undefined);
  equal(at("yesterday"), undefined);
  equal(at("Thu, 01 Jan 1970 00:00:00 GMT"), undefined);
  equal(at("Fri, 01 Jan 2300 00:00:00 GMT"), undefined);
});

Deno.test("serverNow corrects the host's time by the offset; unknown offset keeps it", () => {
  const local = new Date("2036-01-01T00:00:00Z");
  equal(serverNow(local, -3600_000).toISOString(), "2035-12-31T23:00:00.000Z");
  equal(serverNow(local, undefined), local);
});

Deno.test("skewWarning: only beyond five minutes, naming both times", () => {
  const local = new Date("2036-01-01T00:00:00Z");
  equal(skewWarning("https://gl", local, 299_000), undefined);
  equal(skewWarning("https://gl", local, undefined), undefined);
  match(
    skewWarning("https://gl", local, -600_000)!,
    /reads 2036-01-01T00:00:00Z but GitLab https:\/\/gl says 2035-12-31T23:50:00Z/,
  );
});

Deno.test("notAfter: a time later than now by more than the tolerance becomes now", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  equal(notAfter("2036-01-01T00:00:00Z", now), "2026-01-01T00:00:00Z");
  equal(notAfter("2026-01-01T00:04:00Z", now, 300_000), "2026-01-01T00:04:00Z");
  equal(notAfter("2025-01-01T00:00:00Z", now), "2025-01-01T00:00:00Z");
  equal(notAfter(undefined, now), undefined);
  equal(notAfter("not a time", now), "not a time");
});
