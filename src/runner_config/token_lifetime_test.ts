import { deepEqual, equal, match } from "node:assert/strict";
import { expiryWarnings, type TokenTimes } from "./token_lifetime.ts";

function runner(name: string, times: { obtained?: string; expires?: string } = {}): TokenTimes {
  return { name, token: { obtainedAt: times.obtained, expiresAt: times.expires } };
}

const NOW = new Date("2026-06-01T00:00:00Z");

Deno.test("no warning without expiry, with zero time, or early in the lifetime", () => {
  deepEqual(
    expiryWarnings([
      { name: "a" },
      runner("b"),
      runner("c", { expires: "0001-01-01T00:00:00Z" }),
      runner("d", { obtained: "2026-05-25T00:00:00Z", expires: "2026-06-25T00:00:00Z" }),
    ], NOW),
    [],
  );
});

Deno.test("warns past gitlab-runner's rotation point (75 %)", () => {
  const [w] = expiryWarnings(
    [runner("shell", { obtained: "2026-05-01T00:00:00Z", expires: "2026-06-08T00:00:00Z" })],
    NOW,
  );
  match(w!, /shell expires at 2026-06-08T00:00:00Z \(in 7 days\)/);
});

Deno.test("warns with less than a day left even without an obtained time", () => {
  const [w] = expiryWarnings([runner("x", { expires: "2026-06-01T05:00:00Z" })], NOW);
  match(w!, /in 5 h/);
});

Deno.test("says an expired token is reset at the next run", () => {
  const warnings = expiryWarnings([runner("x", { expires: "2026-05-31T00:00:00Z" })], NOW);
  equal(warnings.length, 1);
  match(warnings[0]!, /expired at .* resets it in place/);
});

Deno.test("no warning for a fresh short-lived token (GitLab's 2 h minimum lifetime)", () => {
  deepEqual(
    expiryWarnings([
      runner("fresh", { obtained: "2026-06-01T00:00:00Z", expires: "2026-06-01T02:00:00Z" }),
    ], NOW),
    [],
  );
  const [w] = expiryWarnings([
    runner("late", { obtained: "2026-05-31T22:00:00Z", expires: "2026-06-01T00:30:00Z" }),
  ], NOW);
  match(w!, /late expires at .* \(in 30 min\)/);
});
