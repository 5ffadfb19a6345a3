/**
 * The typed GitLab runner API register-runner uses. Every method goes through one
 * {@link Requester}, which owns retries, timeouts, the concurrency pool and redaction.
 *
 * Token scopes: listing and reading runners need `read_api` or `api` (listing `/runners/all`
 * needs an administrator's or auditor's token; a group's runners the Owner (16+: Maintainer) role,
 * a project's the Maintainer role); reading, updating, resetting and deleting by id also take
 * `manage_runner` (17.1+); creating needs `create_runner` or `api`. Any scope may read the token
 * itself (`GET /personal_access_tokens/self`). Verify, delete-by-token and legacy registration
 * use the runner or registration token only.
 *
 * @module
 */

import type { Clock, RuntimeEnv } from "../kernel/env.ts";
import { GitLabApiError, InputError } from "../kernel/errors.ts";
import type {
  ClientConfig,
  ConfiguredScope,
  RunnerScope,
  RunnerToken,
  TokenCheck,
} from "../kernel/model.ts";
import type { Secret } from "../kernel/secret.ts";
import {
  OutcomeUnknownError,
  parseJson,
  RegistrationDisabledError,
  RunnerLimitError,
  runnerLimitOf,
  UserRunnersApiMissingError,
} from "./errors.ts";
import { listAllPages, type Page } from "./paginate.ts";
import { type Reply, Requester, type RequestSpec } from "./request.ts";
import { type ClockOffset, isoSecondsOf, serverNow } from "./server_time.ts";
import type { ThrottleStats } from "./retry.ts";
import type {
  CreateRunnerParams,
  DeleteResult,
  IssuedToken,
  RunnerDetails,
  RunnerSummary,
  UpdateRunnerAttrs,
} from "./types.ts";
import type { RunnerInfo } from "./runner_info.ts";
import { hasPausedField, issuedToken, runnerDetails, runnerSummary, tokenCheck } from "./wire.ts";
import {
  resolvedScope,
  runnerTypeOf,
  scopeName,
  scopeResource,
  type TokenInfo,
  tokenInfo,
} from "./scope.ts";

export {
  OutcomeUnknownError,
  RegistrationDisabledError,
  RunnerLimitError,
  UserRunnersApiMissingError,
};
export type { TokenInfo };
export type {
  CreateRunnerParams,
  DeleteResult,
  IssuedToken,
  RunnerDetails,
  RunnerSummary,
  ThrottleStats,
  UpdateRunnerAttrs,
};

/** Runners asked for per listing page: GitLab's maximum. */
export const PER_PAGE = 100;

/** Options of {@link GitLabClient.listRunners}. */
export interface ListRunnersOptions {
  /** Called with each page's runners as the page arrives; a throwing callback fails the listing. */
  onPage?: ((runners: RunnerSummary[]) => void) | undefined;
  /**
   * List a group's or project's runners (`GET /groups/:id/runners?type=group_type`, or
   * `/projects/:id/runners?type=project_type`) instead of the instance's.
   */
  scope?: ConfiguredScope | undefined;
}

/** How to reach one GitLab. */
export interface GitLabClientOptions {
  /** The GitLab URL as configured (shown in messages). */
  url: string;
  /** Base of the REST API, e.g. `http://127.0.0.1:1234/api/v4`. */
  apiBase: string;
  /** Personal access token for listing, reading, creating, updating, resetting, deleting by id. */
  pat?: Secret | undefined;
  /** Extra values to redact from every message and log line. */
  secrets?: Secret[] | undefined;
  env: RuntimeEnv;
  /** Requests in flight at once. Default 8. */
  concurrency?: number | undefined;
  /** Per-attempt timeout. Default 20 000 ms. */
  requestTimeoutMs?: number | undefined;
  /** On `env.clock.monotonic()`: the overall budget for all requests and retries. */
  deadline?: number | undefined;
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number | undefined;
  /** PEM bundle of the certificate authorities to trust for this GitLab. */
  caFile?: string | undefined;
  /** Where the configured tokens came from (named in 401 and 403 errors). */
  tokenSources?: ClientConfig["tokenSources"] | undefined;
  /** The group or project whose runners are managed (absent: instance runners), for 403 hints. */
  scope?: ConfiguredScope | undefined;
}

/**
 * With Admin Mode enabled on the instance, an administrator's token acts as administrator only
 * when it has the `admin_mode` scope (lib/api/api_guard.rb); otherwise these 403.
 */
const ADMIN_MODE = "; if the user is an administrator and the instance has Admin Mode " +
  "enabled, the token also needs the `admin_mode` scope";
const READ = { scopes: "`read_api` or `api`" };
const WRITE = {
  scopes: "`api`",
  who: "managing an instance runner needs an administrator's token" + ADMIN_MODE,
};
/** Updating, resetting or deleting a group's or project's runner (`Ci::RunnerPolicy`). */
const WRITE_SCOPED = {
  group: {
    scopes: "`manage_runner` (GitLab 17.1+) or `api`",
    who: "managing a group runner needs the Owner role in its group and a token with the " +
      "`manage_runner` (GitLab 17.1+) or `api` scope",
  },
  project: {
    scopes: "`manage_runner` (GitLab 17.1+) or `api`",
    who: "managing a project runner needs the Maintainer role in the project that owns it and " +
      "a token with the `manage_runner` (GitLab 17.1+) or `api` scope",
  },
};
const LIST = {
  scopes: "`read_api` or `api`",
  who: "listing all runners (GET /runners/all) needs an administrator's token (an " +
    "auditor's can list but not create, reset or delete runners, which sync also does)" +
    ADMIN_MODE,
};
const LIST_SCOPED = {
  scopes: "`read_api` or `api`",
  who: "listing a group's runners needs the Owner (GitLab 16+: Maintainer) role in it; a " +
    "project's, the Maintainer role",
};
const RESOLVE = {
  scopes: "`read_api` or `api`",
  who: "the token's user (or bot) must be a member of that group or project",
};
const CREATE_SCOPED = {
  scopes: "`create_runner` or `api`",
  who: "creating a group runner needs the Owner role in the group; a project runner, the " +
    "Maintainer role in the project",
};
const CREATE = {
  scopes: "`create_runner` or `api`",
  who: "creating an instance runner needs an administrator's token" + ADMIN_MODE,
};

/** What {@link openClient} takes besides the configured GitLab and the runtime environment. */
export type ClientTuning = Omit<
  GitLabClientOptions,
  "url" | "apiBase" | "pat" | "caFile" | "env" | "tokenSources"
>;

/**
 * The one way the commands open a client: for a configured GitLab (URL, API base, personal access
 * token, `ca_file`), redacting its registration token and `tuning.secrets` (e.g. the local runner
 * tokens) from every message. Reads `ca_file` now (throws {@link InputError} when it is unusable).
 */
export function openClient(
  config: ClientConfig,
  env: RuntimeEnv,
  tuning: ClientTuning = {},
): GitLabClient {
  return new GitLabClient({
    ...tuning,
    url: config.url,
    apiBase: config.apiBase,
    pat: config.personalAccessToken,
    secrets: [
      ...(config.registrationToken ? [config.registrationToken] : []),
      ...(tuning.secrets ?? []),
    ],
    caFile: config.caFile,
    tokenSources: config.tokenSources,
    scope: config.scope,
    env,
  });
}

/**
 * A client for one GitLab's runner API. It owns one `Deno.HttpClient`, whose connections every
 * request reuses (HTTP/1.1 keep-alive, at most about `concurrency` of them; or one multiplexed
 * HTTP/2 connection where GitLab offers h2). Close it (or `using` it) to release them.
 */
export class GitLabClient implements Disposable {
  readonly #req: Requester;
  readonly #http: Deno.HttpClient;
  readonly #clock: Clock;
  /** The 403 hint of updates, resets and deletions by id: the managed scope's roles. */
  readonly #write: { scopes: string; who: string };
  /**
   * Whether this GitLab's runner entity has `paused` (14.8+), learned from the listing and
   * details replies; `undefined` until one arrived. Before 14.8 `paused` is not a parameter
   * either (Grape drops it), so pausing is sent as `active`.
   */
  #pausedField: boolean | undefined;
  /** Whether a listing answered: then the url is right and a 404 means a missing endpoint. */
  #listed = false;
  /** Keeps no idle connection: each non-idempotent request gets a connection of its own. */
  readonly #oneShot: Deno.HttpClient;

  /** Creates a client; reads `caFile` now (throws {@link InputError} when it is unusable). */
  constructor(options: GitLabClientOptions) {
    this.#write = options.scope === undefined ? WRITE : WRITE_SCOPED[options.scope.kind];
    this.#clock = options.env.clock;
    this.#http = httpClient(options.caFile);
    try {
      this.#oneShot = httpClient(options.caFile, { poolMaxIdlePerHost: 0 });
    } catch (error) {
      this.#http.close();
      throw error;
    }
    try {
      this.#req = new Requester({
        ...options,
        httpClient: this.#http,
        oneShotHttpClient: this.#oneShot,
      });
    } catch (error) {
      this.#http.close();
      this.#oneShot.close();
      throw error;
    }
  }

  /**
   * All instance runners carrying every tag in `tags` (`GET /runners/all?type=instance_type`:
   * without `type` GitLab lists group and project runners too), or with `options.scope` a group's
   * or project's (`GET /groups/:id/runners?type=group_type`, `/projects/:id/runners?type=
   * project_type`: without `type` they list instance and ancestor groups' runners too), every page.
   * Sorted by id, without duplicates. `onPage` sees each page's runners as soon as the page
   * arrives (a runner may appear on two pages when the listing shifts meanwhile).
   */
  async listRunners(tags: string[], options: ListRunnersOptions = {}): Promise<RunnerSummary[]> {
    const { scope } = options;
    const spec: RequestSpec = scope === undefined
      ? { method: "GET", path: "/runners/all", pat: LIST, idempotent: true }
      : {
        method: "GET",
        path: `${scopeResource(scope)}/runners`,
        pat: LIST_SCOPED,
        idempotent: true,
        hints: { 404: `${scopeName(scope)} does not exist, or the token may not see it` },
      };
    // Each listing asks for its scope's own type only: the group and project listings also
    // return instance runners and ancestor groups' runners unless filtered.
    const query: Record<string, string> = {
      type: scope === undefined ? "instance_type" : runnerTypeOf(scope),
      per_page: String(PER_PAGE),
    };
    if (tags.length > 0) query.tag_list = tags.join(",");
    const parsed = new Map<Page, RunnerSummary[]>();
    const onPage = (page: Page) => {
      const runners = page.items.map((item) => {
        this.#learnShape(item);
        const runner = runnerSummary(item);
        if (!runner) {
          throw this.#req.unexpected(spec, page.reply, "a listed runner has no numeric id");
        }
        return runner;
      });
      parsed.set(page, runners);
      options.onPage?.(runners);
    };
    let pages: Page[];
    try {
      pages = await listAllPages(this.#req, spec, query, { onPage });
    } catch (error) {
      // GET /runners/all exists in every version: a 404 means the url is not GitLab's API root.
      // A group's or project's listing also 404s for one the token may not see: there only a
      // url that is not GitLab's API root replaces the error's own hint.
      if (error instanceof GitLabApiError && error.status === 404) {
        throw await this.#explain404(error, undefined, scope !== undefined);
      }
      throw error;
    }
    this.#listed = true;
    const byId = new Map<number, RunnerSummary>();
    for (const page of pages) {
      for (const runner of parsed.get(page) ?? []) {
        if (!byId.has(runner.id)) byId.set(runner.id, runner);
      }
    }
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  /** One runner's details (`GET /runners/:id`); the token only where GitLab exposes it. */
  async getRunner(id: number): Promise<RunnerDetails> {
    const spec: RequestSpec = {
      method: "GET",
      path: `/runners/${runnerId(id)}`,
      pat: READ,
      idempotent: true,
      hints: { 404: `runner ${id} does not exist on this GitLab (deleted meanwhile?)` },
    };
    const reply = await this.#req.send(spec);
    const json = parseJson(reply.text);
    this.#learnShape(json);
    const details = runnerDetails(json);
    if (!details) throw this.#req.unexpected(spec, reply, "no runner object with a numeric id");
    if (details.token) this.#req.addSecret(details.token);
    return details;
  }

  /**
   * Whether GitLab accepts a runner token (`POST /runners/verify`). 403 (unknown or expired) and
   * 422 "Runner is orphaned" mean invalid; other errors are thrown.
   */
  async verifyRunner(token: Secret, systemId?: string, info?: RunnerInfo): Promise<TokenCheck> {
    const body: Record<string, unknown> = { token };
    if (systemId !== undefined) body.system_id = systemId;
    // Not a declared param, but the heartbeat reads it (see runner_info.ts).
    if (info !== undefined) body.info = info;
    const spec: RequestSpec = {
      method: "POST",
      path: "/runners/verify",
      body,
      idempotent: true,
      accept: [403, 422],
    };
    const reply = await this.#req.send(spec);
    if (reply.status === 403) return { status: "invalid" };
    if (reply.status === 422) {
      if (/orphaned/i.test(reply.text)) return { status: "invalid" };
      throw this.#apiError(spec, reply);
    }
    return tokenCheck(parseJson(reply.text));
  }

  /**
   * Creates an instance runner with the personal access token (`POST /user/runners`). Not
   * repeated when GitLab may have acted ({@link OutcomeUnknownError}); throws
   * {@link UserRunnersApiMissingError} when this GitLab lacks the endpoint.
   */
  async createRunner(
    params: CreateRunnerParams,
    scope: RunnerScope = { kind: "instance" },
  ): Promise<IssuedToken> {
    const target = scope.kind === "instance"
      ? { runner_type: "instance_type" }
      : { runner_type: runnerTypeOf(scope), [`${scope.kind}_id`]: scope.id };
    const spec: RequestSpec = {
      method: "POST",
      path: "/user/runners",
      body: { ...target, ...creationBody(params) },
      pat: scope.kind === "instance" ? CREATE : CREATE_SCOPED,
      idempotent: false,
    };
    try {
      return this.#issued(spec, await this.#req.send(spec));
    } catch (error) {
      const limit = error instanceof GitLabApiError && error.status === 400
        ? runnerLimitOf(error.gitlabMessage)
        : undefined;
      if (limit !== undefined && error instanceof GitLabApiError) {
        throw new RunnerLimitError(error.request, 400, error.gitlabMessage, error.requestId, {
          hint: `GitLab allows at most ${limit.count} ${limit.kind} runners created or active in ` +
            `the last seven days for ${scopeName(scope)} (plan limit ` +
            `ci_registered_${limit.kind}_runners): delete unused runners of that ${limit.kind}, ` +
            "or raise the limit (self-managed: Admin > Settings > CI/CD; GitLab.com: the plan)",
          cause: error,
        });
      }
      if (error instanceof GitLabApiError && error.status === 404 && !this.#listed) {
        // Without a listing that answered, a 404 may be a wrong url as well as an old GitLab.
        throw await this.#explain404(error, {
          since: "15.10",
          Missing: UserRunnersApiMissingError,
        });
      }
      throw retyped(error, 404, UserRunnersApiMissingError);
    }
  }

  /**
   * Looks a configured group or project up (`GET /groups/:id`, `GET /projects/:id`, by id or
   * URL-encoded full path): its numeric id and full path.
   */
  async resolveScope(scope: ConfiguredScope): Promise<RunnerScope> {
    const spec: RequestSpec = {
      method: "GET",
      path: scopeResource(scope),
      pat: RESOLVE,
      idempotent: true,
      hints: {
        404: `${scopeName(scope)} does not exist on this GitLab, or the token's user (or bot) ` +
          `is not a member of it: check the ${scope.kind} key in client_configs and the token`,
      },
    };
    const reply = await this.#req.send(spec);
    const resolved = resolvedScope(scope.kind, parseJson(reply.text));
    if (!resolved) throw this.#req.unexpected(spec, reply, `no ${scope.kind} with a numeric id`);
    return resolved;
  }

  /**
   * The token's own scopes and expiry (`GET /personal_access_tokens/self`, GitLab 15.5+, any
   * scope). `undefined` where GitLab cannot say: no such endpoint (404, older GitLab), or a token
   * that is not a personal, group or project access token (400).
   */
  async tokenSelf(): Promise<TokenInfo | undefined> {
    const spec: RequestSpec = {
      method: "GET",
      path: "/personal_access_tokens/self",
      pat: { scopes: "any" },
      idempotent: true,
      accept: [400, 404],
    };
    const reply = await this.#req.send(spec);
    if (reply.status !== 200) return undefined;
    const info = tokenInfo(parseJson(reply.text));
    if (!info) throw this.#req.unexpected(spec, reply, "no scopes");
    return info;
  }

  /**
   * Registers a runner with a legacy registration token (`POST /runners`). Throws
   * {@link RegistrationDisabledError} on 410.
   */
  async registerRunner(
    registrationToken: Secret,
    params: CreateRunnerParams,
  ): Promise<IssuedToken> {
    const spec: RequestSpec = {
      method: "POST",
      path: "/runners",
      // `active` unless GitLab is known to have `paused`: POST /runners declares `active` in
      // every version (deprecated since 14.8, still declared) and `paused` only from 14.8.
      body: { token: registrationToken, ...this.#pausedAsSent(creationBody(params), true) },
      idempotent: false,
      hints: { 403: "GitLab rejected the registration token: copy the current one from GitLab" },
      credential: "registration_token",
    };
    try {
      return this.#issued(spec, await this.#req.send(spec));
    } catch (error) {
      throw retyped(error, 410, RegistrationDisabledError);
    }
  }

  /** Changes a runner's server-side attributes (`PUT /runners/:id`); no request when `attrs` is empty. */
  async updateRunner(id: number, attrs: UpdateRunnerAttrs): Promise<void> {
    const given = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined));
    if (Object.keys(given).length === 0) return;
    const body = this.#pausedAsSent(given);
    await this.#req.send({
      method: "PUT",
      path: `/runners/${runnerId(id)}`,
      body,
      pat: this.#write,
      idempotent: true,
      hints: { 404: `runner ${id} does not exist on this GitLab (deleted meanwhile?)` },
    });
  }

  /**
   * Replaces a runner's token (`POST /runners/:id/reset_authentication_token`); the old one stops
   * working at once. Safe to repeat: the last reply's token is the valid one.
   */
  async resetRunnerToken(id: number): Promise<RunnerToken> {
    const spec: RequestSpec = {
      method: "POST",
      path: `/runners/${runnerId(id)}/reset_authentication_token`,
      pat: this.#write,
      idempotent: true,
      hints: { 404: `runner ${id} does not exist on this GitLab (deleted meanwhile?)` },
    };
    const reply = await this.#req.send(spec);
    const issued = issuedToken(parseJson(reply.text), this.#obtainedAt(reply));
    if (!issued) throw this.#req.unexpected(spec, reply, "no token");
    this.#req.addSecret(issued.token.token);
    return issued.token;
  }

  /** Deletes a runner by id (`DELETE /runners/:id`); `"gone"` when it no longer existed. */
  async deleteRunner(id: number): Promise<DeleteResult> {
    const reply = await this.#req.send({
      method: "DELETE",
      path: `/runners/${runnerId(id)}`,
      pat: this.#write,
      idempotent: true,
      accept: [404],
    });
    return reply.status === 404 ? "gone" : "deleted";
  }

  /** Deletes a runner by its token (`DELETE /runners`); `"gone"` when GitLab does not know the token. */
  async deleteRunnerByToken(token: Secret): Promise<DeleteResult> {
    const reply = await this.#req.send({
      method: "DELETE",
      path: "/runners",
      body: { token },
      idempotent: true,
      accept: [403],
    });
    return reply.status === 403 ? "gone" : "deleted";
  }

  /**
   * How far GitLab's clock is ahead of this host's (its last `Date` header); undefined before
   * any reply carried one.
   */
  clockOffset(): ClockOffset | undefined {
    return this.#req.clockOffset();
  }

  /** GitLab's time now, as far as its replies tell; the host's clock before any did. */
  serverNow(): Date {
    return serverNow(this.#clock.now(), this.#req.clockOffset());
  }

  /**
   * When a token in `reply` was obtained: GitLab's `Date` on the reply that issued it (token
   * times are GitLab's), or GitLab's time as last measured, or the host's clock.
   */
  #obtainedAt(reply: Reply): string {
    return isoSecondsOf(reply.serverDate ?? this.serverNow());
  }

  /** How often this GitLab throttled (429, 503) and how long requests were held back for it. */
  throttleStats(): ThrottleStats {
    return this.#req.throttleStats();
  }

  /** Releases the connections. */
  close(): void {
    this.#http.close();
    this.#oneShot.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Tells "wrong url" from "this GitLab lacks the endpoint" after a 404, by asking
   * `GET /version` (every version; lib/api/metadata.rb). A 404 there too: the url is not GitLab's
   * API root. A version older than `endpoint.since`: the endpoint's typed "missing" error. With
   * `onlyWrongUrl`, any other answer returns `error` unchanged.
   */
  async #explain404(
    error: GitLabApiError,
    endpoint: { since: string; Missing: typeof UserRunnersApiMissingError } | undefined,
    onlyWrongUrl = false,
  ): Promise<GitLabApiError> {
    const spec: RequestSpec = {
      method: "GET",
      path: "/version",
      pat: READ,
      idempotent: true,
      accept: [401, 403, 404],
    };
    let version: string | undefined;
    let status: number;
    try {
      const reply = await this.#req.send(spec);
      status = reply.status;
      const json = parseJson(reply.text);
      if (status === 200 && typeof json === "object" && json !== null) {
        const v = (json as Record<string, unknown>).version;
        if (typeof v === "string") version = v;
      }
    } catch {
      return error;
    }
    const { request } = error;
    if (version === undefined && status === 404) {
      return new GitLabApiError(request, error.status, error.gitlabMessage, error.requestId, {
        hint: `${request.baseUrl} is not GitLab's address: GET /api/v4/version answered 404 too ` +
          "(a /ci or other path suffix, or a typo in the path?): set url in client_configs to " +
          "the address GitLab's web UI is served on, e.g. https://gitlab.example.com",
        cause: error,
      });
    }
    if (onlyWrongUrl) return error;
    if (version !== undefined && endpoint !== undefined && versionBefore(version, endpoint.since)) {
      return new endpoint.Missing(request, error.status, error.gitlabMessage, error.requestId, {
        hint: `GitLab ${version} has no ${request.method} ${request.path} (added in ` +
          `${endpoint.since}): configure a registration_token for it, or upgrade GitLab`,
        cause: error,
      });
    }
    return new GitLabApiError(request, error.status, error.gitlabMessage, error.requestId, {
      hint: version === undefined
        ? `GET /api/v4/version answered ${status} as well; check url in client_configs`
        : `GitLab ${version} answers at this url but not ${request.method} ${request.path}: ` +
          "a proxy in front of GitLab may block that path",
      cause: error,
    });
  }

  #learnShape(json: unknown): void {
    const has = hasPausedField(json);
    if (has !== undefined) this.#pausedField = has;
  }

  /**
   * `body` with `paused` turned into `active` where GitLab has no `paused` (before 14.8), or,
   * with `unlessKnown`, wherever it is not known to have it.
   */
  #pausedAsSent(body: Record<string, unknown>, unlessKnown = false): Record<string, unknown> {
    const asActive = unlessKnown ? this.#pausedField !== true : this.#pausedField === false;
    if (!asActive || typeof body.paused !== "boolean") return body;
    const { paused, ...rest } = body;
    return { ...rest, active: !paused };
  }

  #issued(spec: RequestSpec, reply: Reply): IssuedToken {
    const issued = issuedToken(parseJson(reply.text), this.#obtainedAt(reply));
    if (issued) this.#req.addSecret(issued.token.token);
    if (!issued || issued.id === undefined) {
      throw this.#req.unexpected(spec, reply, "no runner id and token");
    }
    return { id: issued.id, token: issued.token };
  }

  #apiError(spec: RequestSpec, reply: Reply): GitLabApiError {
    const message = this.#req.redact(reply.text.trim() || "(empty body)");
    return new GitLabApiError(this.#req.facts(spec), reply.status, message, reply.requestId);
  }
}

/** The body fields `POST /user/runners` and `POST /runners` share. */
function creationBody(p: CreateRunnerParams): Record<string, unknown> {
  return {
    description: p.description,
    tag_list: p.tag_list,
    run_untagged: p.run_untagged,
    locked: p.locked,
    paused: p.paused,
    ...(p.access_level === undefined ? {} : { access_level: p.access_level }),
    ...(p.maximum_timeout === undefined ? {} : { maximum_timeout: p.maximum_timeout }),
    ...(p.maintenance_note === undefined ? {} : { maintenance_note: p.maintenance_note }),
  };
}

/** Whether GitLab `version` ("15.9.3-ee") is older than `since` ("15.10"). */
function versionBefore(version: string, since: string): boolean {
  const parse = (v: string) => (/^(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number);
  const [a = 0, b = 0] = parse(version);
  const [c = 0, d = 0] = parse(since);
  return a < c || (a === c && b < d);
}

function runnerId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`not a runner id: ${id}`);
  return id;
}

function httpClient(
  caFile: string | undefined,
  pool: Deno.CreateHttpClientOptions = {},
): Deno.HttpClient {
  if (caFile === undefined) return Deno.createHttpClient({ ...pool });
  let pem: string;
  try {
    pem = Deno.readTextFileSync(caFile);
  } catch (error) {
    throw new InputError(`cannot read ca_file ${caFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return Deno.createHttpClient({ ...pool, caCerts: [pem] });
  } catch (error) {
    throw new InputError(
      `ca_file ${caFile} is not a usable PEM bundle: ${(error as Error).message}`,
      {
        cause: error,
        hint: "ca_file must hold one or more -----BEGIN CERTIFICATE----- blocks",
      },
    );
  }
}

/**
 * `error` as the more specific `Type` when it is a {@link GitLabApiError} with `status` (keeping
 * its request facts and message, and the original as cause); otherwise `error` unchanged.
 */
function retyped(
  error: unknown,
  status: number,
  Type: new (...args: ConstructorParameters<typeof GitLabApiError>) => GitLabApiError,
): unknown {
  if (!(error instanceof GitLabApiError) || error.status !== status) return error;
  return new Type(error.request, error.status, error.gitlabMessage, error.requestId, {
    cause: error,
  });
}
