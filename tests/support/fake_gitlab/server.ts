/**
 * A fake GitLab REST API (v4) for runner management, served on 127.0.0.1 with `Deno.serve`.
 * It models GitLab's source (`lib/api/ci/runners.rb`, `lib/api/ci/runner.rb`, `lib/api/user_runners.rb`; each
 * route file cites what it follows): status codes, error bodies, pagination headers, AND tag
 * filtering, token formats and version switches, plus fault injection for retry and crash tests.
 *
 * ```ts
 * await using gitlab = await startFakeGitLab({ tokenExpiresInSeconds: 7200 });
 * const res = await fetch(`${gitlab.url}/api/v4/runners/all`, {
 *   headers: { "PRIVATE-TOKEN": gitlab.tokens.adminPat },
 * });
 * ```
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import { type Fault, type FaultKind, FaultList, faultResponse, isDrop } from "./faults.ts";
import {
  type BehaviourOptions,
  type FakeGitLabOptions,
  initialOptions,
  mergeOptions,
} from "./options.ts";
import { hostileResponse } from "./hostile.ts";
import { flatQuery, MALFORMED_BODY, type Params, parsePairs, readBody } from "./params.ts";
import { type ConnectionStats, DropRelay } from "./proxy.ts";
import { grapeError, json } from "./responses.ts";
import { dispatch, dispatchOutsideApi } from "./router.ts";
import { FAKE_TOKENS, type FakeTokens, seededState } from "./seed.ts";
import { RackAttackThrottle, type ThrottleSettings } from "./throttle.ts";
import {
  cloneRunner,
  type FakeRunner,
  type FakeState,
  type RunnerSeed,
  type StaleListing,
} from "./state.ts";

export type { Fault, FaultKind } from "./faults.ts";
export type { Hostile, HostileKind } from "./hostile.ts";
export type { BehaviourOptions, FakeGitLabOptions } from "./options.ts";
export { optionsForVersion } from "./options.ts";
export { NEWEST_VERSION, SUPPORTED_VERSIONS, VERSION_TABLE } from "./versions.ts";
export type { ConnectionStats } from "./proxy.ts";
export type { FakeTokens } from "./seed.ts";
export type { ThrottleSettings } from "./throttle.ts";
export type { FakeRunner, RunnerSeed, StaleListing } from "./state.ts";

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** Upper-case method. */
  method: string;
  /** Path without the `/api/v4` prefix and without the query, e.g. `/runners/all`. */
  path: string;
  /** The query string; a repeated key (`tag_list[]`) has its values joined with `,`. */
  query: Record<string, string>;
  /** Query and body parameters merged (body wins), bracket notation expanded. */
  params: Record<string, unknown>;
  /**
   * The status sent; for `drop-after-act`, the status the client never saw; 0 while in flight
   * and for `drop-before-act`.
   */
  status: number;
  /** Wall-clock arrival time (`Date.now()`), for checking retry delays. */
  at: number;
  /** Whether the route handler ran (false for unknown bodies, `status` and drop-before faults). */
  acted: boolean;
  /** The fault that shaped this request, if any. */
  fault?: FaultKind;
  /** Username of the PAT owner, when a PAT authenticated. */
  user?: string;
}

const MUTATING = new Set(["POST", "PUT", "DELETE"]);

/**
 * A test hook called twice per request: when it `"arrived"` (recorded, nothing done yet) and,
 * for requests the API handled, once it was `"acted"` on (state changed, reply not yet sent).
 * Answering `"hold"` keeps the request unanswered until the gate is replaced (`setGate`) or the
 * fake closes: held on arrival it is never acted on (then answered 503); held after acting its
 * reply is never sent (503 instead). Crash tests kill the client from inside the gate, at an
 * exact request.
 */
export type Gate = (request: RecordedRequest, phase: "arrived" | "acted") => "pass" | "hold";

/** Resolves when any of the signals aborts. */
function untilAborted(...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    for (const s of signals) s.addEventListener("abort", () => resolve(), { once: true });
  });
}

function requestId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 26).toUpperCase();
}

/** Resolves after `ms`, or early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** A body that fails mid-stream: the fallback "drop" for connections not made via the relay. */
function brokenResponse(): Response {
  const body = new ReadableStream({ pull: (c) => c.error(new Error("connection dropped")) });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

/** A running fake GitLab. Create it with {@link startFakeGitLab}. */
export class FakeGitLab {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the API is under `/api/v4`. */
  readonly url: string;
  /** `${url}/api/v4`. */
  readonly apiUrl: string;
  /** The seeded (fake) secrets. */
  readonly tokens: Readonly<FakeTokens> = FAKE_TOKENS;
  /** Every request in arrival order (live; see {@link clearRequests}). */
  readonly requests: RecordedRequest[] = [];
  /** The model, for tests that need more than the helpers below (e.g. extra PATs or groups). */
  readonly state: FakeState;
  #options: BehaviourOptions;
  readonly #faults = new FaultList();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #relay: DropRelay;
  /** Extra listeners serving this same GitLab under other URLs (see {@link addAlias}). */
  readonly #aliases: DropRelay[] = [];
  readonly #closing = new AbortController();
  /** Requests not yet fully answered, by the relay connection's upstream port. */
  readonly #busy = new Map<number, number>();
  /** Requests received, by the relay connection's upstream port (for `closeReusedConnections`). */
  readonly #served = new Map<number, number>();
  #closed: Promise<void> | undefined;
  #gate: Gate | undefined;
  /** Requests whose handler has not returned yet (a killed client does not stop them). */
  #handling = 0;
  #gateReleased = new AbortController();
  #throttle: RackAttackThrottle | undefined;

  /** Use {@link startFakeGitLab}. */
  constructor(options: FakeGitLabOptions = {}) {
    this.#options = initialOptions(options);
    this.state = seededState();
    for (const fault of options.faults ?? []) this.#faults.add(fault);
    this.setThrottle(options.throttle);
    // Listen first: a taken port must fail before there is a server to clean up.
    this.#relay = new DropRelay(options.port ?? 0, () => this.#server.addr.port);
    this.#server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        ...(options.tls ?? {}),
        onListen: () => {},
        onError: (error) => {
          console.error("fake GitLab: internal error:", error);
          return json(500, { message: "500 Internal Server Error" });
        },
      },
      (req, info) => this.#handleCounted(req, info),
    );
    this.url = `${options.tls ? "https" : "http"}://127.0.0.1:${this.#relay.port}`;
    this.apiUrl = `${this.url}/api/v4`;
  }

  /** The current behaviour options (a copy). */
  /** Client connections opened to this GitLab (keep-alive reuse shows as few of them). */
  get connections(): ConnectionStats {
    return this.#relay.connections;
  }

  get options(): BehaviourOptions {
    return { ...this.#options };
  }

  /** Changes behaviour switches at runtime (e.g. disable registration, add latency). */
  setOptions(patch: Partial<BehaviourOptions>): void {
    this.#options = mergeOptions(this.#options, patch);
  }

  /**
   * Installs a fault after the existing ones. Adding a `drop-*` fault closes idle keep-alive
   * connections, and while one is armed every reply carries `Connection: close`: Deno's `fetch`
   * silently re-sends a request whose reused connection closed before a reply, which would
   * hide the drop. Add drop faults between requests, not while some are in flight.
   */
  addFault(fault: Fault): void {
    this.#faults.add(fault);
    if (isDrop(fault)) this.#relay.closeIdle((port) => this.#busy.has(port));
  }

  /** Installs (or with `undefined` removes) the request {@link Gate}. */
  setGate(gate: Gate | undefined): void {
    this.#gateReleased.abort();
    this.#gateReleased = new AbortController();
    this.#gate = gate;
  }

  /**
   * Installs (or with `undefined` removes) a Rack::Attack throttle over every API request (see
   * `throttle.ts`); a new one starts with empty windows.
   */
  setThrottle(settings: ThrottleSettings | undefined): void {
    this.#throttle = settings === undefined ? undefined : new RackAttackThrottle(settings);
  }

  /** Requests the throttle answered 429 since it was installed. */
  get throttled(): number {
    return this.#throttle?.rejected ?? 0;
  }

  /** Removes all faults. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Faults still armed, with their remaining `times`. */
  pendingFaults(): Fault[] {
    return this.#faults.pending();
  }

  /**
   * Requests that changed state: POST/PUT/DELETE whose handler ran and answered 2xx, except
   * `POST /runners/verify` (it only records a heartbeat). Includes `drop-after-act` requests.
   */
  mutations(): RecordedRequest[] {
    return this.requests.filter((r) =>
      r.acted && MUTATING.has(r.method) && r.status >= 200 && r.status < 300 &&
      r.path !== "/runners/verify"
    );
  }

  /**
   * Resolves once no request handler is running: a client killed mid-request leaves its request
   * to finish (and perhaps change state) on its own. Held requests count until the gate lets go.
   */
  async settled(): Promise<void> {
    while (this.#handling > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Forgets the recorded requests. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Copies of all runners, by id. */
  runners(): FakeRunner[] {
    return [...this.state.runners.values()].sort((a, b) => a.id - b.id).map(cloneRunner);
  }

  /** A copy of runner `id`, if it exists. */
  runner(id: number): FakeRunner | undefined {
    const runner = this.state.runners.get(id);
    return runner && cloneRunner(runner);
  }

  /**
   * Seeds a runner (e.g. another host's). Defaults: instance type, created by a user with a
   * `glrt-` token, `run_untagged` true, never contacted. Returns a copy.
   */
  addRunner(seed: RunnerSeed = {}): FakeRunner {
    const { clock, tokenExpiresInSeconds, registeredTokenPrefix } = this.#options;
    return cloneRunner(
      this.state.insertRunner(seed, clock(), tokenExpiresInSeconds, registeredTokenPrefix),
    );
  }

  /**
   * Seeds a runner as LLNL's Python `gitlab-runner-auth` left it: description
   * `"{host} {instance} {executor} Runner"`, tags `[host, executor, instance]`,
   * `run_untagged` false, registered with a registration token, token without prefix.
   */
  addLegacyRunner(
    host: string,
    instance: string,
    executor: string,
    extra: RunnerSeed = {},
  ): FakeRunner {
    const { clock, tokenExpiresInSeconds } = this.#options;
    const seed: RunnerSeed = {
      description: `${host} ${instance} ${executor} Runner`,
      tag_list: [host, executor, instance],
      run_untagged: false,
      registration_type: "registration_token",
      ...extra,
    };
    return cloneRunner(this.state.insertRunner(seed, clock(), tokenExpiresInSeconds, ""));
  }

  /** Changes a runner server-side (e.g. simulate drift made in the UI). Returns a copy. */
  updateRunner(id: number, patch: Partial<Omit<FakeRunner, "id">>): FakeRunner {
    const runner = this.#mustGet(id);
    Object.assign(runner, structuredClone(patch));
    return cloneRunner(runner);
  }

  /**
   * Hostile-GitLab mode: from now on listings show runner `id` with `listed`'s description and
   * tags (filtering by them too) while `GET /runners/:id` shows its real state — a listing that
   * raced an edit made in the UI (see `asListed` in routes_runners.ts). `undefined` ends it.
   */
  setStaleListing(id: number, listed: StaleListing | undefined): void {
    this.#mustGet(id);
    if (listed === undefined) this.state.staleListings.delete(id);
    else this.state.staleListings.set(id, structuredClone(listed));
  }

  /**
   * Hostile-GitLab mode: listings leave out these runners (filters and pagination headers count
   * without them) while `GET /runners/:id` still shows them — an empty or short page from a
   * misbehaving proxy, cache or replica. `[]` ends it.
   */
  setListingOmits(ids: number[]): void {
    this.state.listingOmits.clear();
    for (const id of ids) this.state.listingOmits.add(id);
  }

  /**
   * Hostile-GitLab mode: `GET /runners/:id` of these runners shows `tag_list` as one
   * comma-separated string instead of an array. `[]` ends it.
   */
  setWrongTypedTags(ids: number[]): void {
    this.state.wrongTypedTags.clear();
    for (const id of ids) this.state.wrongTypedTags.add(id);
  }

  /** Deletes a runner server-side; false if it did not exist. */
  deleteRunner(id: number): boolean {
    return this.state.runners.delete(id);
  }

  /** Makes the runner's token expired (1 s ago by the server clock): verify then answers 403. */
  expireToken(id: number): void {
    const now = this.#options.clock();
    this.#mustGet(id).token_expires_at = new Date(now.getTime() - 1000).toISOString();
  }

  /** Replaces the runner's token server-side (same prefix and expiry); returns the new token. */
  revokeToken(id: number): string {
    const runner = this.#mustGet(id);
    const expiresAt = runner.token_expires_at;
    this.state.resetToken(runner, this.#options.clock(), null);
    runner.token_expires_at = expiresAt;
    return runner.token;
  }

  /**
   * Serves this same GitLab (one state) under a second URL, another loopback port: one GitLab
   * reached under two host names (an old and a new one, a name and its IP). Returns its base URL.
   */
  addAlias(): string {
    const relay = new DropRelay(0, () => this.#server.addr.port);
    this.#aliases.push(relay);
    return `${this.url.startsWith("https") ? "https" : "http"}://127.0.0.1:${relay.port}`;
  }

  /** Stops the server and drops all connections. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      for (const alias of this.#aliases) await alias.close();
      await this.#relay.close();
      await this.#server.shutdown();
    })();
    return this.#closed;
  }

  /** `await using gitlab = await startFakeGitLab()` closes it at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #mustGet(id: number): FakeRunner {
    const runner = this.state.runners.get(id);
    if (runner === undefined) throw new Error(`fake GitLab has no runner ${id}`);
    return runner;
  }

  /** Runs {@link #handle}, counting it in {@link #handling} until it returns. */
  async #handleCounted(
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> {
    this.#handling++;
    try {
      return await this.#handle(req, info);
    } finally {
      this.#handling--;
    }
  }

  async #handle(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const reused = (this.#served.get(info.remoteAddr.port) ?? 0) > 0;
    this.#served.set(info.remoteAddr.port, (this.#served.get(info.remoteAddr.port) ?? 0) + 1);
    this.#track(info);
    const url = new URL(req.url);
    const method = req.method.toUpperCase();
    const inApi = url.pathname === "/api/v4" || url.pathname.startsWith("/api/v4/");
    const path = inApi ? url.pathname.slice("/api/v4".length) : url.pathname;
    const body = await readBody(req);
    const params: Params = { ...parsePairs(url.searchParams), ...body };
    const record: RecordedRequest = {
      method,
      path,
      query: flatQuery(url.searchParams),
      params,
      status: 0,
      at: Date.now(),
      acted: false,
    };
    this.requests.push(record);
    if (await this.#held(record, "arrived")) return new Response(null, { status: 503 });
    // Rack::Attack counts the request as it arrives, before any of Rails runs.
    const limited = inApi ? this.#throttle?.check(this.#options.clock()) : undefined;
    await sleep(this.#options.latencyMs, this.#closing.signal);
    if (limited !== undefined) return this.#finish(record, limited);

    let fault = this.#faults.take(method, path);
    if (fault === undefined && reused && this.#options.closeReusedConnections) {
      fault = { kind: "drop-after-act" };
    }
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === "delay") await sleep(fault.delayMs ?? 1000, this.#closing.signal);
    if (this.#closing.signal.aborted) {
      return this.#finish(record, json(503, { message: "closing" }));
    }
    if (fault?.kind === "status" || fault?.kind === "throttle") {
      return this.#finish(record, faultResponse(fault, this.#options.clock()));
    }
    if (fault?.kind === "drop-before-act") return this.#drop(info);
    const hostile = fault?.kind === "hostile" ? fault.hostile : undefined;
    const hostileRequest = { url, headers: req.headers, params };
    if (hostile && hostile.kind !== "trickle" && hostile.kind !== "rewrite") {
      const reply = await hostileResponse(hostile, hostileRequest, () => {
        throw new Error("not acted");
      }, this.#closing.signal);
      return this.#finish(record, reply);
    }

    let response: Response;
    if (body === null) {
      response = grapeError(MALFORMED_BODY);
    } else if (!inApi) {
      response = dispatchOutsideApi(url.pathname);
    } else {
      const ctx: RequestContext = {
        req,
        url,
        method,
        path,
        params,
        state: this.state,
        options: this.#options,
        now: this.#options.clock(),
      };
      response = dispatch(ctx);
      record.acted = true;
      if (ctx.user !== undefined) record.user = ctx.user.username;
      if (await this.#held(record, "acted")) {
        record.status = response.status;
        await response.body?.cancel();
        return new Response(null, { status: 503 });
      }
    }
    if (hostile) {
      const real = response;
      response = await hostileResponse(hostile, hostileRequest, () => real, this.#closing.signal);
    }
    if (fault?.kind === "drop-after-act") {
      record.status = response.status;
      await response.body?.cancel();
      return this.#drop(info);
    }
    return this.#finish(record, response);
  }

  /** Asks the gate; when it says "hold", waits until the gate is replaced or the fake closes. */
  async #held(record: RecordedRequest, phase: "arrived" | "acted"): Promise<boolean> {
    const released = this.#gateReleased.signal;
    if (this.#gate?.(record, phase) !== "hold") return false;
    await untilAborted(released, this.#closing.signal);
    return true;
  }

  #finish(record: RecordedRequest, response: Response): Response {
    record.status = response.status;
    response.headers.set("x-request-id", requestId());
    // Every reply carries the server's time, as GitLab's (Puma/Workhorse/nginx) do: RFC 9110
    // §6.6.1 (an origin server with a clock sends Date). Not GitLab source: HTTP, so from the fake's
    // clock (a hostile reply that set its own is left alone).
    if (!response.headers.has("date")) {
      response.headers.set("date", this.#options.clock().toUTCString());
    }
    if (this.#faults.hasDrops()) response.headers.set("connection", "close");
    return response;
  }

  /** Counts the request as in flight on its connection until its reply is sent. */
  #track(info: Deno.ServeHandlerInfo<Deno.NetAddr>): void {
    const port = info.remoteAddr.port;
    this.#busy.set(port, (this.#busy.get(port) ?? 0) + 1);
    const done = () => {
      const left = (this.#busy.get(port) ?? 1) - 1;
      if (left > 0) this.#busy.set(port, left);
      else this.#busy.delete(port);
    };
    info.completed.then(done, done);
  }

  #drop(info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response {
    return this.#relay.drop(info.remoteAddr.port)
      ? new Response(null, { status: 204 })
      : brokenResponse();
  }
}

/** Starts a fake GitLab on `127.0.0.1` (random port unless `options.port` is set). */
export function startFakeGitLab(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  try {
    return Promise.resolve(new FakeGitLab(options));
  } catch (error) {
    return Promise.reject(error);
  }
}
