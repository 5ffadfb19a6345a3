import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { GitLabApiError, GitLabUnreachableError, InputError } from "../kernel/errors.ts";
import { Secret } from "../kernel/secret.ts";
import {
  type CreateRunnerParams,
  GitLabClient,
  type GitLabClientOptions,
  OutcomeUnknownError,
  RegistrationDisabledError,
  UserRunnersApiMissingError,
} from "./client.ts";
import { testEnv } from "../../tests/support/env.ts";
import {
  type Handler,
  json,
  type Recorded,
  startServer,
  text,
} from "../../tests/support/http_server.ts";

const PAT = new Secret("glpat-CLIENTSECRET");
const PARAMS: CreateRunnerParams = {
  description: "host1 main shell Runner",
  tag_list: ["host1", "main", "shell"],
  run_untagged: false,
  locked: false,
  paused: false,
  access_level: "ref_protected",
};

function setup(handler: Handler, options: Partial<GitLabClientOptions> = {}) {
  const server = startServer(handler);
  const env = testEnv();
  const client = new GitLabClient({
    url: server.url,
    apiBase: server.apiBase,
    pat: PAT,
    env,
    ...options,
  });
  return {
    server,
    env,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await server.close();
    },
  };
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

const body = (r: Recorded | undefined) => JSON.parse(r?.body ?? "null");
const runners = (from: number, to: number) =>
  Array.from(
    { length: to - from + 1 },
    (_, i) => ({ id: from + i, description: `r${from + i}`, paused: false }),
  );

Deno.test("listRunners: x-total-pages → the other pages concurrently, through the pool", async () => {
  let inFlight = 0;
  let peak = 0;
  await using t = setup(async (req) => {
    const page = Number(req.query.get("page"));
    if (page > 1) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
    }
    return json(200, runners(page * 10, page * 10 + 1), {
      "x-total-pages": "5",
      "x-total": "10",
      "x-per-page": "2",
      "x-next-page": page < 5 ? `${page + 1}` : "",
    });
  }, { concurrency: 2 });
  const listed = await t.client.listRunners(["host1", "main"]);
  assertEquals(listed.map((r) => r.id), [10, 11, 20, 21, 30, 31, 40, 41, 50, 51]);
  assertEquals(peak, 2);
  assertEquals(t.server.requests.length, 5);
  for (const r of t.server.requests) {
    assertEquals([r.path, r.query.get("tag_list"), r.query.get("per_page")], [
      "/runners/all",
      "host1,main",
      "100",
    ]);
    assertEquals(r.headers.get("private-token"), PAT.reveal());
  }
});

Deno.test("listRunners follows Link rel=next (its query only, never its host), else x-next-page", async () => {
  await using t = setup((req) => {
    const page = Number(req.query.get("page") ?? "0");
    if (page === 1) {
      // No x-total-pages (over 10 000 results); the link points at another host.
      return json(200, runners(1, 2), {
        link:
          `<http://elsewhere.invalid/api/v4/runners/all?page=2&per_page=100&tag_list=host1%2Cmain>; rel="next", ` +
          `<http://elsewhere.invalid/api/v4/runners/all?page=1&per_page=100>; rel="first"`,
        "x-next-page": "9",
      });
    }
    if (page === 2) return json(200, runners(3, 3), { "x-next-page": "3" });
    if (page === 3) return json(200, [...runners(3, 3), ...runners(4, 4)], { "x-next-page": "" });
    return json(500, { message: "unexpected page" });
  });
  const listed = await t.client.listRunners(["host1", "main"]);
  assertEquals(listed.map((r) => r.id), [1, 2, 3, 4]);
  assertEquals(t.server.requests.map((r) => r.query.get("page")), ["1", "2", "3"]);
  assertEquals(t.server.requests[1]?.query.get("tag_list"), "host1,main");
});

Deno.test("listRunners stops at an empty page and maps 13.x `active` to paused", async () => {
  await using t = setup((req) =>
    req.query.get("page") === "1"
      ? json(200, [{ id: 5, description: null, active: false, status: "paused" }], {
        "x-next-page": "2",
      })
      : json(200, [], { "x-next-page": "3" })
  );
  assertEquals(await t.client.listRunners([]), [{
    id: 5,
    description: "",
    paused: true,
    status: "paused",
  }]);
  assertEquals(t.server.requests.length, 2);
  assertEquals(t.server.requests[0]?.query.has("tag_list"), false);
});

Deno.test("listRunners: 403 for a non-admin token says an administrator's token is needed", async () => {
  await using t = setup(() => json(403, { message: "403 Forbidden" }));
  const error = await failure(t.client.listRunners(["a"]), GitLabApiError);
  match(error.hint ?? "", /administrator/);
});

Deno.test("getRunner maps details; paused from active on 13.x; token only when exposed", async () => {
  await using t = setup((req) =>
    req.path === "/runners/1"
      ? json(200, {
        id: 1,
        description: "d",
        paused: true,
        active: true,
        runner_type: "instance_type",
        tag_list: ["a", "b"],
        run_untagged: false,
        locked: true,
        access_level: "ref_protected",
        maximum_timeout: 3600,
        maintenance_note: "note",
      })
      : json(200, {
        id: 2,
        description: "old",
        active: false,
        tag_list: [],
        run_untagged: true,
        locked: false,
        access_level: "not_protected",
        maximum_timeout: null,
        token: "legacy-TOKEN-1",
      })
  );
  const modern = await t.client.getRunner(1);
  assertEquals(modern, {
    id: 1,
    description: "d",
    paused: true,
    runner_type: "instance_type",
    tag_list: ["a", "b"],
    run_untagged: false,
    locked: true,
    access_level: "ref_protected",
    maximum_timeout: 3600,
    maintenance_note: "note",
  });
  const patched = await t.client.getRunner(2);
  // No maintenance_note key (GitLab < 16.10): unknown, not "".
  assertEquals([patched.paused, patched.maximum_timeout, "maintenance_note" in patched], [
    true,
    0,
    false,
  ]);
  assertEquals(patched.token?.reveal(), "legacy-TOKEN-1");
});

Deno.test("getRunner: 404 is a GitLabApiError with a hint naming the runner", async () => {
  await using t = setup(() => json(404, { message: "404 Runner Not Found" }));
  const error = await failure(t.client.getRunner(42), GitLabApiError);
  assertEquals(error.status, 404);
  match(error.hint ?? "", /runner 42 does not exist/);
});

Deno.test("verifyRunner: token and system_id in the JSON body, no PAT; every GitLab answer", async () => {
  const token = new Secret("glrt-VERIFYME");
  const cases: [Response, unknown][] = [
    [json(200, { id: 9, token: "glrt-VERIFYME", token_expires_at: "2026-09-01T00:00:00.000Z" }), {
      status: "valid",
      runnerId: 9,
      reported: { expiresAt: "2026-09-01T00:00:00.000Z" },
    }],
    [json(200, { id: 9, token: "glrt-VERIFYME", token_expires_at: null }), {
      status: "valid",
      runnerId: 9,
      reported: { expiresAt: undefined },
    }],
    [json(200, 200), { status: "valid" }],
    // GitLab < 15.10: `body "200"` through Grape's JSON formatter, the JSON string "200".
    [json(200, "200"), { status: "valid" }],
    [new Response("", { status: 200 }), { status: "valid" }],
    [json(403, { message: "403 Forbidden" }), { status: "invalid" }],
    [json(422, { message: "Runner is orphaned" }), { status: "invalid" }],
  ];
  for (const [response, expected] of cases) {
    await using t = setup(() => response);
    assertEquals(await t.client.verifyRunner(token, "s_0123456789ab"), expected);
    const [req] = t.server.requests;
    assertEquals([req?.method, req?.path, req?.query.toString()], ["POST", "/runners/verify", ""]);
    assertEquals(body(req), { token: "glrt-VERIFYME", system_id: "s_0123456789ab" });
    assertEquals(req?.headers.get("private-token"), null);
  }
  {
    await using t = setup(() => json(200, 200));
    await t.client.verifyRunner(token);
    assertEquals(body(t.server.requests[0]), { token: "glrt-VERIFYME" });
  }
  {
    await using t = setup(() => json(422, { message: "something else" }));
    const error = await failure(t.client.verifyRunner(token), GitLabApiError);
    assertEquals(error.status, 422);
  }
  {
    await using t = setup(() => json(400, { error: "token is missing" }));
    await failure(t.client.verifyRunner(token), GitLabApiError);
  }
  {
    // Any 2xx is a valid token, as gitlab-runner reads it (network/gitlab.go VerifyRunner
    // falls back to the legacy format when the body is not a runner object).
    await using t = setup(() => new Response("200", { status: 200 }));
    assertEquals(await t.client.verifyRunner(token), { status: "valid" });
  }
});

Deno.test("createRunner: POST /user/runners with the PAT and an instance_type body; 201 → token", async () => {
  await using t = setup(() =>
    json(201, { id: 77, token: "glrt-NEWTOKEN", token_expires_at: null })
  );
  const issued = await t.client.createRunner({
    ...PARAMS,
    maximum_timeout: 3600,
    maintenance_note: "n",
  });
  assertEquals([issued.id, issued.token.token.reveal(), issued.token.expiresAt], [
    77,
    "glrt-NEWTOKEN",
    undefined,
  ]);
  const [req] = t.server.requests;
  assertEquals([req?.method, req?.path, req?.headers.get("private-token")], [
    "POST",
    "/user/runners",
    PAT.reveal(),
  ]);
  assertEquals(body(req), {
    runner_type: "instance_type",
    description: "host1 main shell Runner",
    tag_list: ["host1", "main", "shell"],
    run_untagged: false,
    locked: false,
    paused: false,
    access_level: "ref_protected",
    maximum_timeout: 3600,
    maintenance_note: "n",
  });
});

Deno.test("createRunner: 404 route missing → UserRunnersApiMissingError; 502 → outcome unknown, not repeated", async () => {
  {
    // After a listing answered, the url is right: a 404 is an old GitLab, no /version asked.
    await using t = setup((req) =>
      req.path === "/runners/all" ? json(200, []) : json(404, { error: "404 Not Found" })
    );
    await t.client.listRunners([]);
    const error = await failure(t.client.createRunner(PARAMS), UserRunnersApiMissingError);
    ok(error instanceof GitLabApiError);
    assertEquals(t.server.requests.map((r) => r.path), ["/runners/all", "/user/runners"]);
    assertEquals([error.status, error.gitlabMessage], [404, "404 Not Found"]);
    match(error.hint ?? "", /registration_token/);
  }
  {
    await using t = setup(() => text(502, "Bad Gateway"));
    const error = await failure(t.client.createRunner(PARAMS), OutcomeUnknownError);
    assertEquals([error.outcomeUnknown, t.server.requests.length], [true, 1]);
  }
  {
    // 201 without a token: GitLab acted but the token is lost.
    await using t = setup(() => json(201, { id: 3 }));
    await failure(t.client.createRunner(PARAMS), OutcomeUnknownError);
  }
});

Deno.test("registerRunner: legacy POST /runners with the token in the body; 410 → RegistrationDisabledError", async () => {
  const reg = new Secret("GR1348941REGTOKEN");
  {
    await using t = setup(() =>
      json(201, { id: 12, token: "glrtr-ISSUED", token_expires_at: "2026-03-01T00:00:00Z" })
    );
    const issued = await t.client.registerRunner(reg, PARAMS);
    assertEquals([issued.id, issued.token.token.reveal(), issued.token.expiresAt], [
      12,
      "glrtr-ISSUED",
      "2026-03-01T00:00:00Z",
    ]);
    const [req] = t.server.requests;
    assertEquals([req?.path, req?.headers.get("private-token")], ["/runners", null]);
    assertEquals(body(req), {
      token: "GR1348941REGTOKEN",
      description: "host1 main shell Runner",
      tag_list: ["host1", "main", "shell"],
      run_untagged: false,
      locked: false,
      // POST /runners declares `active` in every version, `paused` only from 14.8: with no
      // reply seen yet that shows `paused`, the client sends `active`.
      active: true,
      access_level: "ref_protected",
    });
  }
  {
    await using t = setup(() =>
      json(410, { message: "410 Gone - runner registration disallowed" })
    );
    const error = await failure(t.client.registerRunner(reg, PARAMS), RegistrationDisabledError);
    assertEquals(error.status, 410);
    match(
      error.hint ?? "",
      /17\.0.*personal_access_token.*`create_runner`.*Admin > Settings > CI\/CD/,
    );
  }
});

Deno.test("updateRunner: PUT only the given attributes; nothing to change sends nothing", async () => {
  await using t = setup(() => json(200, { id: 4 }));
  // Undefined values (possible from untyped callers) are dropped.
  await t.client.updateRunner(
    4,
    { tag_list: ["a"], paused: true, description: undefined },
  );
  await t.client.updateRunner(4, {});
  assertEquals(t.server.requests.length, 1);
  const [req] = t.server.requests;
  assertEquals([req?.method, req?.path, req?.headers.get("private-token")], [
    "PUT",
    "/runners/4",
    PAT.reveal(),
  ]);
  assertEquals(body(req), { tag_list: ["a"], paused: true });
});

Deno.test("resetRunnerToken: 201 → the new token; safe to repeat after a 502", async () => {
  await using t = setup((_req, n) =>
    n === 1
      ? text(502, "Bad Gateway")
      : json(201, { token: `glrt-RESET${n}`, token_expires_at: null })
  );
  const reset = await t.client.resetRunnerToken(8);
  assertEquals([reset.token.reveal(), reset.expiresAt], ["glrt-RESET2", undefined]);
  assertEquals(t.server.requests.map((r) => `${r.method} ${r.path}`), [
    "POST /runners/8/reset_authentication_token",
    "POST /runners/8/reset_authentication_token",
  ]);
});

Deno.test("deleteRunner: 204 → deleted, 404 → gone; deleteRunnerByToken: 204 → deleted, 403 → gone", async () => {
  await using t = setup((req) => {
    if (req.path === "/runners/1") return new Response(null, { status: 204 });
    if (req.path === "/runners/2") return json(404, { message: "404 Runner Not Found" });
    if (req.path === "/runners/3") {
      return json(403, { message: "403 Forbidden - No access granted" });
    }
    return body(req).token === "glrt-KNOWN"
      ? new Response(null, { status: 204 })
      : json(403, { message: "403 Forbidden" });
  });
  assertEquals(await t.client.deleteRunner(1), "deleted");
  assertEquals(await t.client.deleteRunner(2), "gone");
  await failure(t.client.deleteRunner(3), GitLabApiError);
  assertEquals(await t.client.deleteRunnerByToken(new Secret("glrt-KNOWN")), "deleted");
  assertEquals(await t.client.deleteRunnerByToken(new Secret("glrt-UNKNOWN")), "gone");
  const byToken = t.server.requests.filter((r) => r.path === "/runners");
  assertEquals(byToken.map((r) => [r.method, r.query.toString(), r.headers.get("private-token")]), [
    ["DELETE", "", null],
    ["DELETE", "", null],
  ]);
});

Deno.test("tokens GitLab issued are redacted from later errors", async () => {
  await using t = setup((req) =>
    req.path === "/user/runners"
      ? json(201, { id: 5, token: "glrt-FRESHTOKEN", token_expires_at: null })
      : json(400, { message: "runner glrt-FRESHTOKEN is bad" })
  );
  await t.client.createRunner(PARAMS);
  const error = await failure(t.client.updateRunner(5, { locked: true }), GitLabApiError);
  assertEquals(error.gitlabMessage, "runner [redacted] is bad");
});

Deno.test("a token read from runner details is redacted from later errors", async () => {
  await using t = setup((req) =>
    req.method === "GET"
      ? json(200, { id: 6, description: "d", tag_list: [], token: "legacy-READTOKEN" })
      : json(400, { message: "token legacy-READTOKEN rejected" })
  );
  await t.client.getRunner(6);
  const error = await failure(t.client.updateRunner(6, { locked: true }), GitLabApiError);
  assertEquals(error.gitlabMessage, "token [redacted] rejected");
});

Deno.test("calls that need the PAT fail with InputError when none is configured", async () => {
  await using t = setup(() => json(200, []), { pat: undefined });
  await failure(t.client.listRunners([]), InputError);
  await failure(t.client.createRunner(PARAMS), InputError);
  assertEquals(t.server.requests.length, 0);
});

Deno.test("caFile: a GitLab with a private CA is trusted with it, and untrusted (not retried) without", async () => {
  const dir = new URL("./testdata/", import.meta.url);
  const tls = {
    cert: Deno.readTextFileSync(new URL("server.pem", dir)),
    key: Deno.readTextFileSync(new URL("server.key", dir)),
  };
  const server = startServer(() => json(200, []), tls);
  const env = testEnv();
  const base = { url: server.url, apiBase: server.apiBase, pat: PAT, env };
  try {
    {
      using client = new GitLabClient({ ...base, caFile: new URL("ca.pem", dir).pathname });
      assertEquals(await client.listRunners([]), []);
    }
    {
      using client = new GitLabClient(base);
      const error = await failure(client.listRunners([]), GitLabUnreachableError);
      match(error.hint ?? "", /ca_file/);
      assertEquals(server.requests.length, 1);
    }
    let threw: unknown;
    try {
      new GitLabClient({ ...base, caFile: "/nonexistent/ca.pem" });
    } catch (error) {
      threw = error;
    }
    ok(threw instanceof InputError);
  } finally {
    await server.close();
  }
});

Deno.test("createRunner 404 before any listing: GET /version tells an old GitLab from a wrong url", async () => {
  const answers = (version: Response) => (req: { path: string }) =>
    req.path === "/version" ? version : json(404, { error: "404 Not Found" });
  {
    await using t = setup(answers(json(200, { version: "15.9.3-ee", revision: "x" })));
    const error = await failure(t.client.createRunner(PARAMS), UserRunnersApiMissingError);
    match(error.hint ?? "", /GitLab 15.9.3-ee has no POST \/user\/runners \(added in 15.10\)/);
  }
  {
    await using t = setup(answers(json(404, { error: "404 Not Found" })));
    const error = await failure(t.client.createRunner(PARAMS), GitLabApiError);
    assertEquals(error instanceof UserRunnersApiMissingError, false, "no fallback on a wrong url");
    match(error.hint ?? "", /is not GitLab's address/);
  }
});
