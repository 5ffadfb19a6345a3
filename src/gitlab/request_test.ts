import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { GitLabApiError, GitLabUnreachableError, InputError } from "../kernel/errors.ts";
import { Secret } from "../kernel/secret.ts";
import { OutcomeUnknownError } from "./errors.ts";
import {
  defaultAttemptTimeout,
  MAX_ATTEMPT_TIMEOUT_MS,
  Requester,
  type RequesterOptions,
  type RequestSpec,
} from "./request.ts";
import { systemClock } from "../kernel/env.ts";
import { testEnv } from "../../tests/support/env.ts";
import {
  closedPort,
  type Handler,
  json,
  startServer,
  text,
} from "../../tests/support/http_server.ts";

const PAT = new Secret("glpat-SECRETSECRET");
const GET: RequestSpec = {
  method: "GET",
  path: "/runners/all",
  pat: { scopes: "`api`" },
  idempotent: true,
};
const CREATE: RequestSpec = {
  method: "POST",
  path: "/user/runners",
  body: { description: "d" },
  pat: { scopes: "`create_runner` or `api`", who: "creating needs an administrator" },
  idempotent: false,
};

function setup(handler: Handler, options: Partial<RequesterOptions> = {}) {
  const server = startServer(handler);
  const env = testEnv();
  const http = Deno.createHttpClient({});
  const req = new Requester({
    url: server.url,
    apiBase: server.apiBase,
    pat: PAT,
    env,
    httpClient: http,
    ...options,
  });
  return {
    server,
    env,
    req,
    async [Symbol.asyncDispose]() {
      http.close();
      await server.close();
    },
  };
}

/** Answers with `replies` in order, then 200 `[]`. */
function sequence(...replies: (() => Response)[]): Handler {
  return (_req, n) => replies[n - 1]?.() ?? json(200, []);
}

async function failure<T extends Error>(
  promise: Promise<unknown>,
  type: new (...a: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    ok(error instanceof type, `expected ${type.name}, got ${error}`);
    return error;
  }
  throw new Error(`expected ${type.name}, but it succeeded`);
}

Deno.test("send: PAT header only when needed, JSON body, query; one debug line per attempt, no body", async () => {
  await using t = setup(() => json(200, [{ id: 1 }], { "x-request-id": "req-1" }));
  const reply = await t.req.send({ ...GET, query: { per_page: "100", tag_list: "a,b" } });
  assertEquals([reply.status, reply.text, reply.requestId, reply.attempts], [
    200,
    '[{"id":1}]',
    "req-1",
    1,
  ]);
  await t.req.send({
    method: "POST",
    path: "/runners/verify",
    body: { token: new Secret("tok-XYZW") },
    idempotent: true,
  });
  const [list, verify] = t.server.requests;
  assertEquals(list?.headers.get("private-token"), PAT.reveal());
  assertEquals(list?.query.get("tag_list"), "a,b");
  assertEquals(list?.query.get("per_page"), "100");
  assertEquals(verify?.headers.get("private-token"), null);
  assertEquals(verify?.headers.get("content-type"), "application/json");
  assertEquals(JSON.parse(verify?.body ?? ""), { token: "tok-XYZW" });
  const debug = t.env.logger.lines.filter((l) => l.level === "debug").map((l) => l.message);
  assertEquals(debug.length, 2);
  match(debug[0] ?? "", /^GET \/runners\/all\?per_page=100&tag_list=a%2Cb 200 \d+ms attempt 1\/5$/);
  match(debug[1] ?? "", /^POST \/runners\/verify 200 \d+ms attempt 1\/5$/);
  ok(!t.env.logger.dump().includes("tok-XYZW"));
});

Deno.test("send retries 502, 503, 504 and 429 with full-jitter exponential backoff", async () => {
  await using t = setup(sequence(
    () => text(502, "Bad Gateway"),
    () => text(503, "unavailable"),
    () => text(504, "Gateway Timeout"),
    () => text(429, "Retry later"),
  ));
  const reply = await t.req.send(GET);
  assertEquals([reply.status, reply.attempts], [200, 5]);
  // random() = 0.5. Without a deadline every failure counts: 502 and 504 back off by their count
  // (half of 1 s, then of 4 s); 503 and 429 are throttles, jittered by their streak (half of 1 s,
  // then of 2 s).
  assertEquals(t.env.clock.sleeps, [500, 500, 2000, 1000]);
  // One debug line per attempt and per wait; nothing at the default level (GitLab answered).
  assertEquals(t.env.logger.lines.filter((l) => /retrying in/.test(l.message)).length, 4);
  assertEquals(t.env.logger.lines.filter((l) => l.level !== "debug").length, 0);
});

Deno.test("429 honours Retry-After (seconds, then an HTTP date), then RateLimit-Reset (epoch); text bodies", async () => {
  const env = testEnv();
  const later = (s: number) => new Date(env.clock.now().getTime() + s * 1000);
  await using t = setup(
    sequence(
      () => text(429, "Retry later", { "retry-after": "7", "ratelimit-reset": "1" }),
      () => text(429, "Retry later", { "retry-after": later(30).toUTCString() }),
      () => text(429, "Retry later", { "ratelimit-reset": String(later(12).getTime() / 1000) }),
    ),
    { env },
  );
  assertEquals((await t.req.send(GET)).status, 200);
  // Each plus the jitter of a streak of 1, 2, 3 (random 0.5); the HTTP date has whole seconds.
  assertEquals(env.clock.sleeps, [7500, 29_500 + 1000, 12_000 + 2000]);
});

Deno.test("a single wait is capped at 60 s", async () => {
  await using t = setup(sequence(() => text(429, "Retry later", { "retry-after": "3600" })));
  await t.req.send(GET);
  assertEquals(t.env.clock.sleeps, [60_000]);
});

Deno.test("a Retry-After beyond what is left of the budget ends at once, even when capped waits would fit", async () => {
  const env = testEnv();
  // GitLab's throttles answer a Retry-After of the time left in their window (up to 600 s).
  await using t = setup(() => text(429, "Retry later\n", { "retry-after": "600" }), {
    env,
    deadline: env.clock.now().getTime() + 120_000,
  });
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  assertEquals([error.lastStatus, t.server.requests.length, env.clock.sleeps], [429, 1, []]);
  match(error.message, /asks to retry in 600 s \(Retry-After\), more than the 120 s left/);
});

Deno.test("never waits past the deadline: fails at once with the last status", async () => {
  const env = testEnv();
  await using t = setup(() => text(429, "Retry later", { "retry-after": "30" }), {
    env,
    deadline: env.clock.now().getTime() + 10_000,
  });
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  assertEquals([error.lastStatus, t.server.requests.length, env.clock.sleeps], [429, 1, []]);
  match(
    error.message,
    /asks to retry in 30 s \(Retry-After\), more than the 10 s left of --timeout/,
  );
});

Deno.test("a deadline already passed sends nothing", async () => {
  const env = testEnv();
  await using t = setup(() => json(200, []), { env, deadline: env.clock.now().getTime() });
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  assertEquals(t.server.requests.length, 0);
  match(error.message, /deadline passed before it was sent/);
});

Deno.test("gives up after maxAttempts with GitLabUnreachableError and the last status", async () => {
  await using t = setup(() => text(503, "busy"), { maxAttempts: 3 });
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  ok(!(error instanceof OutcomeUnknownError));
  assertEquals([error.lastStatus, t.server.requests.length, t.env.clock.sleeps.length], [
    503,
    3,
    2,
  ]);
  match(error.message, /gave up after 3 attempts; last: 503: busy/);
});

Deno.test("an idempotent request is not retried on 500", async () => {
  await using t = setup(() => json(500, { message: "500 Internal Server Error" }));
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  assertEquals([error.lastStatus, t.server.requests.length], [500, 1]);
});

Deno.test("a non-idempotent request is not repeated after 502, 504 or 500: outcome unknown", async () => {
  for (const status of [502, 504, 500]) {
    await using t = setup(() => text(status, "gateway"));
    const error = await failure(t.req.send(CREATE), OutcomeUnknownError);
    assertEquals([error.outcomeUnknown, error.lastStatus, t.server.requests.length], [
      true,
      status,
      1,
    ]);
    ok(error instanceof GitLabUnreachableError);
  }
});

Deno.test("a non-idempotent request is repeated after 429 and 503 (GitLab did not act)", async () => {
  await using t = setup(sequence(() => text(429, "Retry later"), () => text(503, "down")));
  const reply = await t.req.send(CREATE);
  assertEquals([reply.status, t.server.requests.length], [200, 3]);
});

Deno.test("a timeout: an idempotent request is retried, a non-idempotent one is not", async () => {
  const slow = (n: number) => (_req: unknown, i: number) =>
    i <= n ? new Promise<Response>((r) => setTimeout(() => r(json(200, [])), 300)) : json(200, []);
  {
    await using t = setup(slow(1), { requestTimeoutMs: 50 });
    const reply = await t.req.send(GET);
    assertEquals([reply.attempts, t.server.requests.length], [2, 2]);
  }
  {
    await using t = setup(slow(1), { requestTimeoutMs: 50 });
    const error = await failure(t.req.send(CREATE), OutcomeUnknownError);
    assertEquals([t.server.requests.length, error.lastStatus], [1, undefined]);
    match(error.message, /no complete reply within 0\.1 s/);
  }
});

Deno.test("a dropped connection: an idempotent request is retried, a non-idempotent one is not", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      await conn.read(new Uint8Array(4096));
      conn.close();
    }
  })();
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const env = testEnv();
  const http = Deno.createHttpClient({});
  try {
    const req = new Requester({
      url,
      apiBase: `${url}/api/v4`,
      pat: PAT,
      env,
      httpClient: http,
      maxAttempts: 3,
    });
    await failure(req.send(CREATE), OutcomeUnknownError);
    assertEquals(accepted, 1);
    const error = await failure(req.send(GET), GitLabUnreachableError);
    ok(!(error instanceof OutcomeUnknownError));
    assertEquals([accepted, error.lastStatus], [4, undefined]);
  } finally {
    http.close();
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("a refused connection is retried even for a non-idempotent request (nothing was sent)", async () => {
  const port = closedPort();
  const env = testEnv();
  const http = Deno.createHttpClient({});
  try {
    const url = `http://127.0.0.1:${port}`;
    const req = new Requester({
      url,
      apiBase: `${url}/api/v4`,
      pat: PAT,
      env,
      httpClient: http,
      maxAttempts: 3,
    });
    const error = await failure(req.send(CREATE), GitLabUnreachableError);
    ok(!(error instanceof OutcomeUnknownError));
    assertEquals(env.clock.sleeps.length, 2);
    match(error.message, /gave up after 3 attempts/);
  } finally {
    http.close();
  }
});

Deno.test("4xx: GitLabApiError with status, method, path, request id and GitLab's message", async () => {
  const cases: [Response, string][] = [
    [json(404, { message: "404 Runner Not Found" }), "404 Runner Not Found"],
    [
      json(400, {
        message: {
          tags_list: ["can not be empty when runner is not allowed to pick untagged jobs"],
        },
      }),
      '{"tags_list":["can not be empty when runner is not allowed to pick untagged jobs"]}',
    ],
    [json(400, { error: "token is missing" }), "token is missing"],
    [
      json(401, {
        error: "invalid_token",
        error_description: "Token was revoked. You have to re-authorize.",
      }),
      "invalid_token: Token was revoked. You have to re-authorize.",
    ],
    [text(418, "I'm a teapot\n"), "I'm a teapot"],
    [
      new Response("<html><title>Sign in</title></html>", {
        status: 403,
        headers: { "content-type": "text/html" },
      }),
      'HTML page "Sign in"',
    ],
  ];
  for (const [response, message] of cases) {
    const status = response.status;
    response.headers.set("x-request-id", "01HREQ");
    await using t = setup(() => response);
    const error = await failure(t.req.send(GET), GitLabApiError);
    assertEquals(
      [
        error.status,
        error.request.method,
        error.request.path,
        error.requestId,
        error.gitlabMessage,
      ],
      [status, "GET", "/runners/all", "01HREQ", message],
    );
    assertEquals(t.server.requests.length, 1);
    match(
      error.message,
      new RegExp(`^GitLab ${t.server.url} answered GET /runners/all with ${status}: `),
    );
  }
});

Deno.test("hints: 401 says replace the token, 403 names the missing scope or who may do it", async () => {
  {
    await using t = setup(() => json(401, { message: "401 Unauthorized" }));
    const error = await failure(t.req.send(CREATE), GitLabApiError);
    match(
      error.hint ?? "",
      /unknown, expired or revoked.*`create_runner` or `api` scope and replace it/,
    );
  }
  {
    await using t = setup(() =>
      json(403, {
        error: "insufficient_scope",
        error_description:
          "The request requires higher privileges than provided by the access token.",
        scope: "create_runner api read_api",
      })
    );
    const error = await failure(t.req.send(CREATE), GitLabApiError);
    match(error.hint ?? "", /lacks the scope this needs: give it `create_runner` or `api`/);
    match(error.gitlabMessage, /accepted scopes: create_runner api read_api/);
  }
  {
    await using t = setup(() => json(403, { message: "403 Forbidden" }));
    const error = await failure(t.req.send(CREATE), GitLabApiError);
    assertEquals(error.hint, "creating needs an administrator");
  }
  {
    await using t = setup(() => json(404, { message: "404 Runner Not Found" }));
    const error = await failure(
      t.req.send({ ...GET, hints: { 404: "runner 7 is gone" } }),
      GitLabApiError,
    );
    assertEquals(error.hint, "runner 7 is gone");
  }
});

Deno.test("redaction: secrets GitLab echoes back never reach messages or logs", async () => {
  const bodyToken = new Secret("glrt-BODYTOKEN123");
  const extra = new Secret("GR1348941EXTRASECRET");
  const echo: Handler = (req) =>
    json(400, {
      message: `bad: ${req.body} pat=${req.headers.get("private-token")} extra=${extra.reveal()}`,
    });
  const spec: RequestSpec = { ...CREATE, body: { token: bodyToken, nested: [{ t: bodyToken }] } };
  const leaks = (s: string) => [bodyToken, extra, PAT].filter((x) => s.includes(x.reveal()));
  {
    await using t = setup(echo, { secrets: [extra] });
    const error = await failure(t.req.send(spec), GitLabApiError);
    assertEquals(
      leaks(`${error.message} ${error.gitlabMessage} ${error.hint} ${t.env.logger.dump()}`),
      [],
    );
    match(error.gitlabMessage, /\[redacted\].*pat=\[redacted\] extra=\[redacted\]/);
    // The request itself carried the real values.
    match(t.server.requests[0]?.body ?? "", /glrt-BODYTOKEN123/);
  }
  {
    // An error reply on a retried and then abandoned request: the reason quotes the body.
    const gateway: Handler = (req) => text(502, `upstream said ${req.body}`);
    await using t = setup(gateway, { secrets: [extra], maxAttempts: 2 });
    const error = await failure(t.req.send({ ...spec, idempotent: true }), GitLabUnreachableError);
    assertEquals(leaks(`${error.message} ${t.env.logger.dump()}`), []);
    match(error.message, /upstream said .*\[redacted\]/);
  }
});

Deno.test("a redirect is not followed (the PAT would go along): an error naming the target", async () => {
  await using other = setup(() => json(200, []));
  await using t = setup(() =>
    new Response(null, { status: 301, headers: { location: `${other.server.apiBase}/x` } })
  );
  const error = await failure(t.req.send(GET), GitLabApiError);
  assertEquals([error.status, other.server.requests.length], [301, 0]);
  match(error.gitlabMessage, /redirected to http:\/\/127\.0\.0\.1:\d+\/api\/v4\/x/);
  match(error.hint ?? "", /set url to the address GitLab answers on/);
});

Deno.test("a call that needs the PAT fails before sending when none is configured", async () => {
  await using t = setup(() => json(200, []), { pat: undefined });
  const error = await failure(t.req.send(GET), InputError);
  match(error.message, /no personal_access_token/);
  assertEquals(t.server.requests.length, 0);
});

Deno.test("requests go through the pool: never more than `concurrency` in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  await using t = setup(async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
    return json(200, []);
  }, { concurrency: 2 });
  await Promise.all(Array.from({ length: 6 }, () => t.req.send(GET)));
  assertEquals([peak, t.server.requests.length], [2, 6]);
});

Deno.test("default per-attempt timeout: a third of the budget, at most 20 s", async () => {
  assertEquals(
    [defaultAttemptTimeout(3000), defaultAttemptTimeout(600_000), defaultAttemptTimeout(Infinity)],
    [1000, MAX_ATTEMPT_TIMEOUT_MS, MAX_ATTEMPT_TIMEOUT_MS],
  );
  // A 3 s budget: the first attempt hangs, is abandoned after 1 s, and the retry succeeds.
  const env = { ...testEnv({ random: 0 }), clock: systemClock };
  const hang = (_req: unknown, i: number) =>
    i === 1
      ? new Promise<Response>((r) => setTimeout(() => r(json(200, [])), 1500))
      : json(200, []);
  await using t = setup(hang, { env, deadline: systemClock.monotonic() + 3000 });
  const started = performance.now();
  const reply = await t.req.send(GET);
  assertEquals([reply.attempts, t.server.requests.length], [2, 2]);
  ok(performance.now() - started < 1400, "did not wait for the hung reply");
});

Deno.test("with a deadline, 429 and 503 are retried for as long as it allows, not maxAttempts times", async () => {
  const env = testEnv();
  const throttled = () => text(429, "Retry later\n", { "retry-after": "1" });
  await using t = setup(
    sequence(...Array.from({ length: 9 }, (_, i) => i % 3 === 2 ? () => text(503, "") : throttled)),
    { env, maxAttempts: 3, deadline: env.clock.now().getTime() + 600_000 },
  );
  const reply = await t.req.send(CREATE);
  assertEquals([reply.status, reply.attempts, t.server.requests.length], [200, 10, 10]);
  const stats = t.req.throttleStats();
  assertEquals(stats.replies, 9);
  assertEquals(stats.waitedMs, env.clock.sleeps.reduce((a, b) => a + b, 0));
});

Deno.test("with a deadline, a refused connection still gives up after maxAttempts (degrades as fast as before)", async () => {
  const port = closedPort();
  const env = testEnv();
  const http = Deno.createHttpClient({});
  try {
    const url = `http://127.0.0.1:${port}`;
    const req = new Requester({
      url,
      apiBase: `${url}/api/v4`,
      pat: PAT,
      env,
      httpClient: http,
      maxAttempts: 5,
      deadline: env.clock.now().getTime() + 600_000,
    });
    const error = await failure(req.send(GET), GitLabUnreachableError);
    match(error.message, /gave up after 5 attempts/);
    // random 0.5: half of 1, 2, 4, 8 s, as before.
    assertEquals(env.clock.sleeps, [500, 1000, 2000, 4000]);
  } finally {
    http.close();
  }
});

Deno.test("after a 429 no other request to that GitLab starts before the wait ends", async () => {
  const env = testEnv();
  const arrivals: number[] = [];
  await using t = setup((_req, n) => {
    arrivals.push(env.clock.now().getTime());
    return n === 1 ? text(429, "Retry later\n", { "retry-after": "5" }) : json(200, []);
  }, { env, concurrency: 1, deadline: env.clock.now().getTime() + 600_000 });
  const start = env.clock.now().getTime();
  await Promise.all([t.req.send(GET), t.req.send({ ...GET, path: "/runners/1" })]);
  // The second request was queued behind the first; it must wait out the 5 s (plus jitter).
  assertEquals(arrivals.length, 3);
  ok(arrivals[1]! - start >= 5000, `second request after ${arrivals[1]! - start} ms`);
  assertEquals(t.req.throttleStats().replies, 1);
});

Deno.test("a GitLab throttling until the deadline: the outage summary counts the 429s and the time held back, the last reason is GitLab's", async () => {
  const env = testEnv();
  await using t = setup(() => text(429, "Retry later\n", { "retry-after": "1" }), {
    env,
    deadline: env.clock.monotonic() + 10_000,
  });
  const [a, b] = await Promise.allSettled([t.req.send(GET), t.req.send({ ...GET, path: "/x" })]);
  const error = a.status === "rejected" ? a.reason : undefined;
  ok(error instanceof GitLabUnreachableError, String(error));
  ok(b.status === "rejected" && b.reason instanceof GitLabUnreachableError);
  for (const e of [error, b.reason as GitLabUnreachableError]) {
    match(e.message, /; last: 429: Retry later$/);
  }
  // The summary is taken when the first request gives up; the other may send one more.
  const sent = t.server.requests.length;
  const o = error.outage!;
  ok(o.attempts >= sent - 1 && o.attempts <= sent, `${o.attempts} of ${sent}`);
  // Every 429 is a throttle reply, the last one (asking past the deadline, so not waited) too.
  for (const e of [error, b.reason as GitLabUnreachableError]) {
    assertEquals([e.outage?.reason, e.outage?.throttled?.replies], [
      "HTTP 429",
      e.outage?.attempts,
    ]);
  }
  ok(o.throttled!.waitedMs > 0 && o.throttled!.waitedMs <= 10_000, `${o.throttled!.waitedMs}`);
});

Deno.test("refused connections: the outage summary has no throttle part", async () => {
  const port = closedPort();
  const env = testEnv();
  const http = Deno.createHttpClient({});
  try {
    const url = `http://127.0.0.1:${port}`;
    const req = new Requester({
      url,
      apiBase: `${url}/api/v4`,
      pat: PAT,
      env,
      httpClient: http,
      deadline: env.clock.monotonic() + 600_000,
    });
    const error = await failure(req.send(GET), GitLabUnreachableError);
    assertEquals([error.outage?.attempts, error.outage?.throttled], [5, undefined]);
  } finally {
    http.close();
  }
});

Deno.test("a request queued until the deadline was never sent: not counted as an attempt, nor its reason", async () => {
  const env = testEnv();
  const deadline = env.clock.monotonic() + 10_000;
  await using t = setup(async (_req, n) => {
    // The first reply comes back after the deadline; the second request waited for its slot.
    if (n === 1) await env.clock.sleep(12_000);
    return text(503, "unavailable");
  }, { env, concurrency: 1, deadline });
  const [a, b] = await Promise.allSettled([t.req.send(GET), t.req.send({ ...GET, path: "/x" })]);
  ok(a.status === "rejected" && b.status === "rejected");
  match(a.reason.message, /the deadline passed after 1 attempt\(s\); last: 503: unavailable$/);
  match(b.reason.message, /the deadline passed before it was sent$/);
  assertEquals(t.server.requests.length, 1);
  assertEquals((b.reason as GitLabUnreachableError).outage?.attempts, 1);
  assertEquals((b.reason as GitLabUnreachableError).outage?.reason, "HTTP 503");
});

Deno.test("a safe request cut off by the run's deadline is not the reason reported: GitLab's last answer is", async () => {
  const env = testEnv();
  // Fake time moves only with sleeps: after the first 503 and its backoff, 1.5 s of the budget
  // are left, so the second attempt gets a 1.5 s timeout, and the server never answers it.
  const deadline = env.clock.monotonic() + 2_000;
  await using t = setup(async (_req, n) => {
    if (n > 1) await new Promise((resolve) => setTimeout(resolve, 3_000));
    return text(503, "unavailable");
  }, { env, deadline, requestTimeoutMs: 10_000 });
  const error = await failure(t.req.send(GET), GitLabUnreachableError);
  match(error.message, /the deadline passed after 1 attempt\(s\); last: 503: unavailable$/);
  assertEquals(t.server.requests.length, 2);
  assertEquals([error.outage?.attempts, error.outage?.reason], [1, "HTTP 503"]);
});
