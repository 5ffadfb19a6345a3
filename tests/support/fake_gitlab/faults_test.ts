import assert from "node:assert/strict";
import { startFakeGitLab } from "./server.ts";
import { call, createRunner } from "./test_util.ts";

const CREATE = { runner_type: "instance_type", tag_list: ["a"] };

function createRequest(pat: string): RequestInit {
  return {
    method: "POST",
    headers: { "PRIVATE-TOKEN": pat, "content-type": "application/json" },
    body: JSON.stringify(CREATE),
  };
}

Deno.test("status faults: a 503 burst, then normal service", async () => {
  await using gitlab = await startFakeGitLab({
    faults: [{ kind: "status", status: 503, method: "post", path: "/user/runners", times: 2 }],
  });
  const pat = gitlab.tokens.adminPat;
  for (let i = 0; i < 2; i++) {
    const reply = await call(gitlab, "POST", "/user/runners", { pat, json: CREATE });
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.body, { message: "503 Service Unavailable" });
    assert.ok(reply.headers.get("x-request-id"));
  }
  assert.equal(gitlab.runners().length, 0, "a status fault does not act");
  assert.equal((await call(gitlab, "POST", "/user/runners", { pat, json: CREATE })).status, 201);
  assert.deepEqual(gitlab.requests.map((r) => [r.status, r.fault ?? null, r.acted]), [
    [503, "status", false],
    [503, "status", false],
    [201, null, true],
  ]);
  assert.equal(gitlab.mutations().length, 1);
  assert.deepEqual(gitlab.pendingFaults(), []);
});

Deno.test("status faults: 429 with Retry-After and plain text, 429 with RateLimit-Reset", async () => {
  await using gitlab = await startFakeGitLab();
  const reset = String(Math.ceil(Date.now() / 1000) + 2);
  gitlab.addFault({
    kind: "status",
    status: 429,
    body: "Retry later",
    headers: { "Retry-After": "1" },
  });
  gitlab.addFault({
    kind: "status",
    status: 429,
    body: "Retry later",
    headers: { "RateLimit-Reset": reset },
  });
  const first = await call(gitlab, "GET", "/version");
  assert.equal(first.status, 429);
  assert.equal(first.body, "Retry later");
  assert.equal(first.headers.get("retry-after"), "1");
  assert.equal(first.headers.get("content-type"), "text/plain");
  const second = await call(gitlab, "GET", "/version");
  assert.equal(second.headers.get("ratelimit-reset"), reset);
  assert.equal(second.headers.get("retry-after"), null);
  const third = await call(gitlab, "GET", "/version", { pat: gitlab.tokens.adminPat });
  assert.equal(third.status, 200);
});

Deno.test("drop-after-act: the runner is created but fetch rejects", async () => {
  await using gitlab = await startFakeGitLab();
  gitlab.addFault({ kind: "drop-after-act", method: "POST", path: "/user/runners" });
  await assert.rejects(
    fetch(`${gitlab.apiUrl}/user/runners`, createRequest(gitlab.tokens.adminPat)),
  );
  assert.equal(gitlab.runners().length, 1, "the server acted");
  const record = gitlab.requests[0];
  assert.equal(record?.status, 201);
  assert.equal(record?.fault, "drop-after-act");
  assert.equal(gitlab.mutations().length, 1);
  // The next request, on a fresh connection, works.
  assert.equal(
    (await call(gitlab, "GET", "/version", { pat: gitlab.tokens.adminPat })).status,
    200,
  );
});

Deno.test("drop-after-act on DELETE: the runner is gone but the client saw no reply", async () => {
  await using gitlab = await startFakeGitLab();
  const { id, token } = await createRunner(gitlab);
  gitlab.addFault({ kind: "drop-after-act", method: "DELETE", path: /^\/runners$/ });
  await assert.rejects(
    fetch(`${gitlab.apiUrl}/runners`, {
      method: "DELETE",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    }),
  );
  assert.equal(gitlab.runner(id), undefined);
  assert.equal(gitlab.requests.filter((r) => r.method === "DELETE").length, 1, "no silent resend");
});

Deno.test("drop faults: replies carry Connection: close so fetch never re-sends silently", async () => {
  await using gitlab = await startFakeGitLab({
    faults: [{ kind: "drop-after-act", method: "POST", path: "/user/runners" }],
  });
  const pat = gitlab.tokens.adminPat;
  const before = await call(gitlab, "GET", "/version", { pat });
  assert.equal(before.headers.get("connection"), "close");
  await assert.rejects(fetch(`${gitlab.apiUrl}/user/runners`, createRequest(pat)));
  assert.equal(gitlab.requests.filter((r) => r.method === "POST").length, 1);
  assert.equal(gitlab.runners().length, 1);
  const after = await call(gitlab, "GET", "/version", { pat });
  assert.equal(after.headers.get("connection"), null, "keep-alive again once no drop is armed");
});

Deno.test("drop-before-act: fetch rejects and nothing changed", async () => {
  await using gitlab = await startFakeGitLab({
    faults: [{ kind: "drop-before-act", path: "/api/v4/user/runners", times: Infinity }],
  });
  const pat = gitlab.tokens.adminPat;
  for (let i = 0; i < 3; i++) {
    await assert.rejects(fetch(`${gitlab.apiUrl}/user/runners`, createRequest(pat)));
  }
  assert.equal(gitlab.runners().length, 0);
  assert.equal(gitlab.mutations().length, 0);
  assert.equal(gitlab.pendingFaults()[0]?.times, Infinity);
  gitlab.clearFaults();
  assert.equal((await call(gitlab, "POST", "/user/runners", { pat, json: CREATE })).status, 201);
});

Deno.test("delay faults and latencyMs slow replies down", async () => {
  await using gitlab = await startFakeGitLab({
    faults: [{ kind: "delay", delayMs: 150, path: "/version" }],
  });
  const pat = gitlab.tokens.adminPat;
  let start = performance.now();
  assert.equal((await call(gitlab, "GET", "/version", { pat })).status, 200);
  assert.ok(performance.now() - start >= 140);
  gitlab.setOptions({ latencyMs: 60 });
  start = performance.now();
  await call(gitlab, "GET", "/version", { pat });
  assert.ok(performance.now() - start >= 55);
  assert.equal(gitlab.requests[0]?.fault, "delay");
  assert.equal(gitlab.requests[1]?.fault, undefined);
});

Deno.test("close() ends in-flight delays promptly and is idempotent", async () => {
  const gitlab = await startFakeGitLab({ faults: [{ kind: "delay", delayMs: 60_000 }] });
  const pending = fetch(`${gitlab.apiUrl}/version`).then((r) => r.body?.cancel(), () => {});
  await new Promise((resolve) => setTimeout(resolve, 20));
  const start = performance.now();
  await Promise.all([gitlab.close(), gitlab.close()]);
  await pending;
  assert.ok(performance.now() - start < 5_000);
});
