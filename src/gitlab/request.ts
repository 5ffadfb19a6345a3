/**
 * The one function every GitLab call goes through ({@link Requester.send}): URL building,
 * `PRIVATE-TOKEN`, JSON bodies, per-request timeout and overall deadline, retries with backoff on
 * network errors, 429, 502, 503 and 504 (only where repeating is safe), the concurrency pool,
 * typed errors with hints, redaction of every secret, and one debug log line per attempt (and
 * per retry wait); a GitLab that cannot be reached is summed up by {@link OutageLog} instead.
 *
 * A throttled GitLab (429, 503) is retried for as long as the deadline allows, not a number of
 * times: every request to it waits what GitLab asked for plus jitter ({@link ThrottleGate}), and
 * the pool's concurrency halves on each such reply and grows back on successes ({@link Pool}).
 * Other failures (refused connections, 502, 504, timeouts) still give up after `maxAttempts`.
 *
 * @module
 */

import type { RuntimeEnv } from "../kernel/env.ts";
import type { ClientConfig } from "../kernel/model.ts";
import {
  GitLabApiError,
  GitLabUnreachableError,
  InputError,
  type OutageSummary,
  type RequestFacts,
} from "../kernel/errors.ts";
import { redact, type Secret } from "../kernel/secret.ts";
import { VERSION } from "../kernel/version.ts";
import { revealed, secretsIn } from "./body.ts";
import { gitlabMessageOf, isInsufficientScope, OutcomeUnknownError } from "./errors.ts";
import { describe, isConnectFailure, isTlsFailure } from "./net_errors.ts";
import { OutageLog } from "./outage.ts";
import { Pool } from "./pool.ts";
import { type ClockOffset, serverDateOf } from "./server_time.ts";
import {
  DEFAULT_BACKOFF,
  retryWait,
  ThrottleGate,
  type ThrottleStats,
  type ThrottleWait,
} from "./retry.ts";

/** HTTP methods the client uses. */
export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** What one GitLab call needs. */
export interface RequestSpec {
  method: HttpMethod;
  /** Path below the API base, e.g. `/runners/12`. Never carries a secret. */
  path: string;
  /** Query parameters (never secrets). */
  query?: Record<string, string> | URLSearchParams;
  /**
   * JSON body. {@link Secret} values anywhere in it are revealed only on the wire and are redacted
   * from every message and log line about this request.
   */
  body?: Record<string, unknown>;
  /** Present when the call authenticates with the personal access token. */
  pat?: {
    /** The scopes that allow the call, for hints, e.g. "`api`". */
    scopes: string;
    /** Who may do this, for a 403 hint, e.g. "listing all runners needs an administrator's token". */
    who?: string;
  };
  /**
   * Whether repeating the request is harmless. When false the request is repeated only when GitLab
   * certainly did not act on it (429, 503, or a connection that failed before anything was sent).
   */
  idempotent: boolean;
  /** Non-2xx statuses the caller handles: returned instead of thrown. */
  accept?: readonly number[];
  /** Hints per error status (for 403, used unless the token lacks a scope). */
  hints?: Readonly<Partial<Record<number, string>>>;
  /** The configured token the request authenticates with besides the PAT (for 401/403 errors). */
  credential?: "registration_token";
}

/** GitLab's answer to a request (2xx, or a status listed in {@link RequestSpec.accept}). */
export interface Reply {
  status: number;
  headers: Headers;
  /** The body as text (possibly empty). */
  text: string;
  /** GitLab's `X-Request-Id`, if sent. */
  requestId: string | undefined;
  /** How many attempts it took. */
  attempts: number;
  /** GitLab's time when it answered (its `Date` header), if it sent a plausible one. */
  serverDate: Date | undefined;
}

/** How a {@link Requester} talks to one GitLab. */
export interface RequesterOptions {
  /** The GitLab URL as configured (used in messages). */
  url: string;
  /** Base of the REST API, e.g. `https://gitlab.example.com/api/v4`. */
  apiBase: string;
  pat?: Secret | undefined;
  /** Extra values to redact (registration token, local runner tokens). */
  secrets?: Iterable<Secret> | undefined;
  /**
   * Where the configured tokens came from: a 401 or 403 for one of them points at its
   * `client_configs` key and says where it was read (never the value).
   */
  tokenSources?: ClientConfig["tokenSources"] | undefined;
  env: RuntimeEnv;
  /** Requests in flight at once. Default 8. */
  concurrency?: number | undefined;
  /**
   * Requests in flight at first (slow start, see {@link Pool}); default
   * {@link INITIAL_CONCURRENCY}.
   */
  initialConcurrency?: number | undefined;
  /**
   * Per-attempt timeout. Default: a third of the time left until `deadline` when the requester is
   * created, at most {@link MAX_ATTEMPT_TIMEOUT_MS} — so one hung connection leaves time to retry.
   */
  requestTimeoutMs?: number | undefined;
  /**
   * On `env.clock.monotonic()`: after it no attempt starts, no wait ends, and every request in
   * flight is aborted (a hard bound on the whole run, queueing for the pool included).
   */
  deadline?: number | undefined;
  /**
   * Attempts per request, the first included, for failures other than 429 and 503 (and for those
   * too when there is no `deadline`). Default 5.
   */
  maxAttempts?: number | undefined;
  /** The fetch client (connection pool, CA certificates); default: fetch's own. */
  httpClient?: Deno.HttpClient | undefined;
  /**
   * The fetch client for requests that are not safe to repeat: it must keep no idle connection
   * (`poolMaxIdlePerHost: 0`), so each such request opens a connection of its own. On a reused
   * keep-alive connection that the server closes just as the request goes out, `fetch` re-sends
   * the request by itself on a new one, which for `POST /user/runners` creates a second runner.
   * Default: `httpClient` (for tests that drive a requester directly).
   */
  oneShotHttpClient?: Deno.HttpClient | undefined;
  /** Largest reply body read, in bytes; default {@link MAX_REPLY_BYTES}. */
  maxReplyBytes?: number | undefined;
}

type Attempt =
  | { kind: "reply"; status: number; headers: Headers; text: string }
  | {
    kind: "failure";
    reason: string;
    sent: boolean;
    tls: boolean;
    oversized?: boolean;
    /** Never sent: the deadline passed while it waited for a slot or a throttle's wait. */
    expired?: boolean;
    /** Sent, but cut off by the run's deadline rather than by the per-attempt timeout. */
    cutByDeadline?: boolean;
  };

/**
 * The largest reply body read by default: 8 MiB, hundreds of times a full page of 100 runners.
 * A longer reply is cut off while it streams in (never buffered whole) and fails the attempt.
 */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;

/**
 * Requests in flight at first; the pool then grows by one per success (slow start) up to
 * `concurrency`. Measured with `deno task bench:fleet` (100 hosts at once, 20 req/s): starting
 * with 3 or 4 a restart storm opens with 280–380 wasted 429s and ends at about the minimum
 * request count in 429s; with 2 it ends at about 0.8 of it.
 */
export const INITIAL_CONCURRENCY = 2;

/** The longest a single attempt may take by default. */
export const MAX_ATTEMPT_TIMEOUT_MS = 20_000;

/** The default per-attempt timeout for a budget of `budgetMs` (see `requestTimeoutMs`). */
export function defaultAttemptTimeout(budgetMs: number): number {
  if (!Number.isFinite(budgetMs)) return MAX_ATTEMPT_TIMEOUT_MS;
  return Math.min(MAX_ATTEMPT_TIMEOUT_MS, Math.max(1, Math.floor(budgetMs / 3)));
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** Statuses that prove GitLab did not act: safe to repeat even a non-idempotent request. */
const NOT_ACTED = new Set([429, 503]);

/** Sends requests to one GitLab; see the module doc. */
export class Requester {
  readonly #baseUrl: string;
  readonly #apiBase: string;
  readonly #pat: Secret | undefined;
  readonly #secrets = new Set<Secret>();
  readonly #env: RuntimeEnv;
  readonly #pool: Pool;
  readonly #timeoutMs: number;
  readonly #deadline: number;
  readonly #maxAttempts: number;
  readonly #http: Deno.HttpClient | undefined;
  readonly #oneShot: Deno.HttpClient | undefined;
  readonly #maxReplyBytes: number;
  #clockOffset: ClockOffset | undefined;
  readonly #outage: OutageLog;
  readonly #tokenSources: NonNullable<ClientConfig["tokenSources"]>;
  readonly #gate: ThrottleGate;

  /** Creates a requester; nothing is sent until {@link send}. */
  constructor(options: RequesterOptions) {
    this.#baseUrl = withoutCredentials(options.url);
    this.#apiBase = options.apiBase.replace(/\/+$/, "");
    this.#pat = options.pat;
    for (const s of options.secrets ?? []) this.#secrets.add(s);
    this.#env = options.env;
    const concurrency = options.concurrency ?? 8;
    this.#pool = new Pool(
      concurrency,
      options.initialConcurrency ?? INITIAL_CONCURRENCY,
    );
    this.#deadline = options.deadline ?? Infinity;
    this.#timeoutMs = options.requestTimeoutMs ??
      defaultAttemptTimeout(this.#deadline - this.#env.clock.monotonic());
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#http = options.httpClient;
    this.#oneShot = options.oneShotHttpClient ?? options.httpClient;
    this.#maxReplyBytes = options.maxReplyBytes ?? MAX_REPLY_BYTES;
    this.#outage = new OutageLog(() => this.#now());
    this.#tokenSources = options.tokenSources ?? {};
    this.#gate = new ThrottleGate({
      now: () => this.#now(),
      wallNow: () => this.#env.clock.now().getTime(),
      sleep: (ms) => this.#env.clock.sleep(ms),
      random: () => this.#env.random(),
    });
  }

  /** How often this GitLab throttled (429, 503) and how long requests were held back for it. */
  throttleStats(): ThrottleStats {
    return this.#gate.stats();
  }

  /** Remembers a secret (e.g. a token GitLab just issued) so that later messages redact it too. */
  addSecret(secret: Secret): void {
    this.#secrets.add(secret);
  }

  /**
   * How far GitLab's clock is ahead of this host's, from the last reply with a `Date` header;
   * undefined before any.
   */
  clockOffset(): ClockOffset | undefined {
    return this.#clockOffset;
  }

  /** `text` with the PAT, every known secret and `extra` replaced by `[redacted]`. */
  redact(text: string, extra: Iterable<Secret> = []): string {
    return redact(text, [this.#pat, ...this.#secrets, ...extra]);
  }

  /** The facts errors carry about `spec`'s request. */
  facts(spec: Pick<RequestSpec, "method" | "path">): RequestFacts {
    return { baseUrl: this.#baseUrl, method: spec.method, path: spec.path };
  }

  /**
   * The error for a 2xx reply whose body is not what GitLab sends: for a request that is not safe
   * to repeat GitLab probably acted, so the outcome is unknown; otherwise it is an API error.
   */
  unexpected(
    spec: RequestSpec,
    reply: Reply,
    detail: string,
  ): GitLabApiError | OutcomeUnknownError {
    const facts = this.facts(spec);
    const what = this.redact(
      `answered ${reply.status} with an unexpected body (${detail}): ` +
        gitlabMessageOf(
          reply.text,
          reply.headers.get("content-type"),
          (t) => this.redact(t, secretsIn(spec.body)),
        ),
      secretsIn(spec.body),
    );
    if (!spec.idempotent) return new OutcomeUnknownError(facts, what, reply.status);
    return new GitLabApiError(facts, reply.status, what, reply.requestId, {
      hint:
        `check that ${this.#baseUrl} is GitLab's address (the reply does not look like GitLab's API)`,
    });
  }

  /**
   * Sends `spec`, retrying where that is safe, and returns GitLab's 2xx (or accepted) reply.
   * Throws {@link GitLabApiError} for other 4xx, {@link OutcomeUnknownError} when a non-idempotent
   * request may have been acted on, and {@link GitLabUnreachableError} otherwise.
   */
  async send(spec: RequestSpec): Promise<Reply> {
    try {
      return await this.#send(spec);
    } catch (error) {
      if (error instanceof GitLabUnreachableError) error.outage ??= this.#outageSummary();
      throw error;
    }
  }

  /** The failed attempts so far, with the time a throttle held requests back, if it did. */
  #outageSummary(): OutageSummary | undefined {
    const summary = this.#outage.summary();
    const throttled = this.#gate.stats();
    return summary === undefined || throttled.replies === 0 ? summary : { ...summary, throttled };
  }

  async #send(spec: RequestSpec): Promise<Reply> {
    const facts = this.facts(spec);
    const bodySecrets = secretsIn(spec.body);
    const clean = (text: string) => this.redact(text, bodySecrets);
    if (spec.pat && !this.#pat) {
      throw new InputError(
        `no personal_access_token is configured for ${this.#baseUrl}, which ${spec.method} ${spec.path} needs`,
        { hint: `configure a personal access token with ${spec.pat.scopes} scope for this GitLab` },
      );
    }
    const url = this.#url(spec);
    const logPath = clean(url.slice(this.#apiBase.length));
    const init = this.#init(spec);
    let lastStatus: number | undefined;
    let lastReason = "";
    // Failures that count against maxAttempts: all of them without a deadline, else all but
    // 429 and 503, which are retried for as long as the deadline allows.
    let counted = 0;
    const budgeted = Number.isFinite(this.#deadline);
    for (let attempt = 1;; attempt++) {
      const remaining = this.#deadline - this.#now();
      if (remaining <= 0) {
        const after = attempt === 1
          ? "before it was sent"
          : `after ${attempt - 1} attempt(s); last: ${lastReason}`;
        throw new GitLabUnreachableError(facts, clean(`the deadline passed ${after}`), lastStatus);
      }
      const started = performance.now();
      const startedAt = this.#now();
      let throttle: ThrottleWait | undefined;
      const result = await this.#pool.run(async (): Promise<Attempt> => {
        // A throttled GitLab holds every request back; the time left (waiting for a free slot
        // counts against the deadline too) is measured once the attempt may start.
        await this.#gate.open(this.#deadline);
        const outcome = await this.#attempt(
          url,
          init,
          Math.min(this.#timeoutMs, this.#deadline - this.#now()),
          spec.idempotent ? this.#http : this.#oneShot,
        );
        // Close the gate before this slot goes to the next request, so that none slips through.
        if (outcome.kind === "reply" && NOT_ACTED.has(outcome.status)) {
          throttle = this.#hold(outcome.status, outcome.headers);
        }
        return outcome;
      });
      const ms = Math.round(performance.now() - started);
      const shown = result.kind === "reply" ? String(result.status) : `failed (${result.reason})`;
      this.#env.logger.debug(
        clean(`${spec.method} ${logPath} ${shown} ${ms}ms attempt ${attempt}/${this.#maxAttempts}`),
        { gitlab: this.#baseUrl },
      );
      if (
        result.kind === "failure" && (result.expired || (result.cutByDeadline && spec.idempotent))
      ) {
        // Held back (pool or throttle) until the deadline, or a safe-to-repeat request cut off
        // by it: not a failure of GitLab's, so not counted as an attempt; the last real failure,
        // if any, is the one to report. (A cut-off request that may have acted stays "outcome
        // unknown" below.)
        const after = attempt > 1
          ? `after ${attempt - 1} attempt(s); last: ${lastReason}`
          : result.expired
          ? "before it was sent"
          : "while waiting for GitLab's first reply";
        throw new GitLabUnreachableError(facts, clean(`the deadline passed ${after}`), lastStatus);
      }
      this.#outage.record(
        result.kind === "reply" ? result : { reason: clean(result.reason) },
        startedAt,
      );

      let retryable: boolean;
      if (result.kind === "reply") {
        const { status, headers, text } = result;
        const requestId = headers.get("x-request-id") ?? undefined;
        const serverDate = serverDateOf(headers);
        if (serverDate) {
          this.#clockOffset = serverDate.getTime() - this.#env.clock.now().getTime();
        }
        if ((status >= 200 && status < 300) || spec.accept?.includes(status)) {
          this.#gate.passed();
          // Concurrency grows back only once the throttle's streak has worn off.
          if (this.#gate.streak === 0) this.#pool.grow();
          return { status, headers, text, requestId, attempts: attempt, serverDate };
        }
        lastStatus = status;
        lastReason = clean(
          `${status}: ${gitlabMessageOf(text, headers.get("content-type"), clean)}`,
        );
        if (status < 500 && status !== 429) throw this.#apiError(spec, result, requestId, clean);
        retryable = RETRYABLE.has(status);
        if (!spec.idempotent && !NOT_ACTED.has(status)) {
          throw new OutcomeUnknownError(facts, `answered ${lastReason}`, status);
        }
      } else {
        lastStatus = undefined;
        lastReason = clean(result.reason);
        if (result.tls) {
          throw new GitLabUnreachableError(facts, lastReason, undefined, {
            hint:
              `the certificate of ${this.#baseUrl} is not trusted: set ca_file for this GitLab ` +
              "to the PEM bundle of the certificate authority that signed it",
          });
        }
        if (result.oversized) {
          // Asking again would read the same flood: not a server that is down, one that is wrong.
          throw new GitLabUnreachableError(facts, lastReason, undefined, {
            hint: `check that ${this.#baseUrl} is GitLab's address (a proxy or another server ` +
              "may answer there)",
          });
        }
        if (!spec.idempotent && result.sent) {
          throw new OutcomeUnknownError(facts, lastReason, undefined);
        }
        retryable = true;
      }
      if (!retryable) throw new GitLabUnreachableError(facts, `answered ${lastReason}`, lastStatus);
      const isThrottle = throttle !== undefined && lastStatus !== undefined;
      if (!isThrottle || !budgeted) counted += 1;
      if (throttle !== undefined && lastStatus !== undefined) {
        const spent = counted >= this.#maxAttempts;
        this.#throttled(spec, facts, lastStatus, throttle, lastReason, attempt, spent);
        continue;
      }
      if (counted >= this.#maxAttempts) {
        throw new GitLabUnreachableError(
          facts,
          `gave up after ${attempt} attempts; last: ${lastReason}`,
          lastStatus,
        );
      }
      const headers = result.kind === "reply" ? result.headers : undefined;
      const wait = retryWait(
        lastStatus,
        headers,
        counted,
        this.#env.clock.now().getTime(), // an HTTP date in Retry-After is wall-clock time
        () => this.#env.random(),
        DEFAULT_BACKOFF,
      );
      // GitLab will not answer before the time it asked for: when that is beyond the budget,
      // retrying (even after a capped wait) only burns the budget. End this GitLab's attempt now.
      const now = this.#now();
      if (wait.source !== "backoff" && now + wait.requestedMs >= this.#deadline) {
        throw new GitLabUnreachableError(
          facts,
          `GitLab asks to retry in ${seconds(wait.requestedMs)} (${
            wait.source === "retry-after" ? "Retry-After" : "RateLimit-Reset"
          }), more than the ${
            seconds(this.#deadline - now)
          } left of --timeout; last: ${lastReason}`,
          lastStatus,
        );
      }
      if (now + wait.ms >= this.#deadline) {
        throw new GitLabUnreachableError(
          facts,
          `retrying would wait ${
            seconds(wait.ms)
          } (${wait.source}) past the deadline; last: ${lastReason}`,
          lastStatus,
        );
      }
      this.#env.logger.debug(
        `GitLab ${this.#baseUrl} ${spec.method} ${spec.path}: ${lastReason}; retrying in ${
          seconds(wait.ms)
        }`,
        { attempt, of: this.#maxAttempts, wait: wait.source },
      );
      await this.#env.clock.sleep(wait.ms);
    }
  }

  /**
   * A 429 or 503 came: cuts the pool and holds every request to this GitLab back for what it
   * asked plus jitter — the jitter never taking more than half of what is left after GitLab's own
   * wait, so the attempt after it still has time. Nothing is held when what GitLab asked alone is
   * past the deadline ({@link #throttled} then gives up).
   */
  #hold(status: number, headers: Headers): ThrottleWait {
    this.#pool.cut();
    const wait = this.#gate.plan(status, headers);
    const left = this.#deadline - this.#now();
    if (wait.requestedMs > 0 && wait.requestedMs >= left) {
      // Counted as a throttle reply, holding nothing back.
      this.#gate.hold({ ...wait, ms: 0 });
      return wait;
    }
    const ms = Math.min(
      wait.ms,
      wait.requestedMs + Math.min(wait.jitterMs, (left - wait.requestedMs) / 2),
    );
    const held = { ...wait, ms };
    this.#gate.hold(held);
    return held;
  }

  /**
   * After a 429 or 503 (held by {@link #hold}): logs the wait, or throws when what GitLab asked
   * alone is past the deadline (degrading at once instead of burning the budget) or when
   * `attemptsSpent` (only without a deadline do 429 and 503 count against `maxAttempts`).
   */
  #throttled(
    spec: RequestSpec,
    facts: RequestFacts,
    status: number,
    wait: ThrottleWait,
    lastReason: string,
    attempt: number,
    attemptsSpent: boolean,
  ): void {
    const left = this.#deadline - this.#now();
    const asked = wait.source === "retry-after" ? "Retry-After" : "RateLimit-Reset";
    if (wait.requestedMs > 0 && wait.requestedMs >= left) {
      throw new GitLabUnreachableError(
        facts,
        `GitLab asks to retry in ${seconds(wait.requestedMs)} (${asked}), more than the ${
          seconds(left)
        } left of --timeout; last: ${lastReason}`,
        status,
      );
    }
    if (attemptsSpent) {
      throw new GitLabUnreachableError(
        facts,
        `gave up after ${attempt} attempts; last: ${lastReason}`,
        status,
      );
    }
    this.#env.logger.debug(
      `GitLab ${this.#baseUrl} ${spec.method} ${spec.path}: ${lastReason}; retrying in ${
        seconds(wait.ms)
      }`,
      {
        attempt,
        wait: wait.source,
        throttled: Math.ceil(wait.streak),
        concurrency: this.#pool.limit,
      },
    );
  }

  #now(): number {
    return this.#env.clock.monotonic();
  }

  #url(spec: RequestSpec): string {
    const query = new URLSearchParams(spec.query ?? {}).toString();
    return `${this.#apiBase}${spec.path}${query ? `?${query}` : ""}`;
  }

  #init(spec: RequestSpec): RequestInit {
    const headers = new Headers({
      "accept": "application/json",
      "user-agent": `register-runner/${VERSION}`,
    });
    if (spec.pat && this.#pat) headers.set("private-token", this.#pat.reveal());
    const init: RequestInit = { method: spec.method, headers, redirect: "manual" };
    if (spec.body !== undefined) {
      headers.set("content-type", "application/json");
      init.body = JSON.stringify(revealed(spec.body));
    }
    return init;
  }

  async #attempt(
    url: string,
    init: RequestInit,
    timeoutMs: number,
    client: Deno.HttpClient | undefined,
  ): Promise<Attempt> {
    if (timeoutMs <= 0) {
      const reason = "the deadline passed while waiting for a free connection";
      return { kind: "failure", reason, sent: false, tls: false, expired: true };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(url, {
        ...init,
        signal: controller.signal,
        ...(client ? { client } : {}),
      });
      // The body is read under the same timeout: a reply that stalls mid-body times out too.
      const text = await readCapped(response, this.#maxReplyBytes);
      if (text === undefined) {
        controller.abort();
        return {
          kind: "failure",
          reason: `the reply (${response.status}) is longer than ${
            mib(this.#maxReplyBytes)
          }, far more than GitLab sends: not read`,
          sent: true,
          tls: false,
          oversized: true,
        };
      }
      return { kind: "reply", status: response.status, headers: response.headers, text };
    } catch (error) {
      if (controller.signal.aborted) {
        return {
          kind: "failure",
          reason: `no complete reply within ${seconds(timeoutMs)}`,
          sent: true,
          tls: false,
          cutByDeadline: timeoutMs < this.#timeoutMs,
        };
      }
      const reason = describe(error);
      return {
        kind: "failure",
        reason,
        sent: !isConnectFailure(error, reason),
        tls: isTlsFailure(reason),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  #apiError(
    spec: RequestSpec,
    reply: { status: number; headers: Headers; text: string },
    requestId: string | undefined,
    clean: (text: string) => string,
  ): GitLabApiError {
    const { status, headers, text } = reply;
    let message = gitlabMessageOf(text, headers.get("content-type"), clean);
    let hint = spec.hints?.[status];
    if (status >= 300 && status < 400) {
      const location = headers.get("location") ?? "(no Location)";
      message = `redirected to ${location}`;
      hint = `${this.#baseUrl} redirects its API: set url to the address GitLab answers on ` +
        "(for example https:// instead of http://, or the canonical host name)";
    } else if (spec.pat && status === 401) {
      hint ??= `GitLab does not accept the personal access token for ${this.#baseUrl} (unknown, ` +
        `expired or revoked): create a new one with ${spec.pat.scopes} scope and replace it`;
    } else if (spec.pat && status === 403) {
      if (isInsufficientScope(text)) {
        hint = `the personal access token lacks the scope this needs: give it ${spec.pat.scopes}` +
          (spec.pat.who ? ` (${spec.pat.who})` : "");
      } else {
        hint ??= spec.pat.who ?? "the personal access token's user is not allowed to do this";
      }
    }
    const credential = spec.pat ? "personal_access_token" : spec.credential;
    const source = (status === 401 || status === 403) && credential !== undefined
      ? this.#tokenSources[credential]
      : undefined;
    if (source !== undefined) {
      hint = `${hint ?? "check the token"} (the token was read from ${source.from})`;
    }
    return new GitLabApiError(this.facts(spec), status, clean(message), requestId, {
      ...(hint === undefined ? {} : { hint: clean(hint) }),
      ...(source === undefined ? {} : { where: source.where }),
    });
  }
}

/**
 * The body as UTF-8 text, read chunk by chunk and given up (the stream cancelled) as soon as it
 * passes `max` bytes: undefined then. A `Content-Length` over `max` is refused before reading.
 */
async function readCapped(response: Response, max: number): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 102.4) / 10} MiB` : `${bytes} bytes`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The URL without `user:password@`, for messages. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}
