/**
 * Switches that make the fake behave like a particular GitLab version or configuration.
 * Version switches come from `versions.ts`; the rest model configuration, patches and test tuning.
 *
 * @module
 */

import type { Fault } from "./faults.ts";
import { DEFAULT_VERSION, optionsForVersion, type VersionSwitch } from "./versions.ts";
import type { ThrottleSettings } from "./throttle.ts";

/**
 * Behaviour switches; every one can be changed at runtime with `setOptions`. The ones a GitLab
 * version decides are derived from `version` ({@link optionsForVersion}, table in
 * `versions.ts`); set one explicitly only to model a configuration or a patch.
 */
export interface BehaviourOptions {
  /** `POST /user/runners` exists (GitLab ≥ 15.10); false → 404 `{"error":"404 Not Found"}`. */
  userRunnersApi: boolean;
  /** `allow_runner_registration_token` (default on before 17.0): false → `POST /runners` gives 410. */
  allowRegistrationToken: boolean;
  /** LLNL-patched GitLab: `GET /runners/:id` includes `token` (admin caller or non-instance runner). */
  exposeTokenInDetails: boolean;
  /** GitLab < 15.10: verify's success body is the JSON string `"200"`. */
  legacyVerifyBody: boolean;
  /** `POST /runners/:id/reset_authentication_token` exists (GitLab ≥ 14.3); false → 404. */
  resetByIdApi: boolean;
  /** `POST /runners/reset_authentication_token` (by the current token) exists; false → 404. */
  resetOwnTokenApi: boolean;
  /** `paused` is a declared param and entity field (GitLab ≥ 14.8); before only `active`. */
  pausedParam: boolean;
  /** `maintenance_note` in `GET /runners/:id` and a declared `PUT` param (GitLab ≥ 16.10). */
  maintenanceNote: boolean;
  /** GitLab ≤ 15.2: no `token_expires_at` in register/verify/reset bodies. */
  omitTokenExpiresAt: boolean;
  /** Runner requests create runner-manager rows by `system_id` (GitLab ≥ 15.10). */
  runnerManagers: boolean;
  /** Verify with a `glrt-` token leaves `contacted_at` alone (15.10 … 17.x). */
  glrtVerifySkipsContact: boolean;
  /** Verify of an orphaned group/project runner: `"200"` (old), `"422"`, or `"403"` (FF `reject_orphaned_runners`). */
  orphanedVerify: "200" | "422" | "403";
  /** `GET /metadata` exists (GitLab ≥ 15.2). */
  metadataApi: boolean;
  /** `GET /personal_access_tokens/self` exists (GitLab ≥ 15.5). */
  tokenSelfApi: boolean;
  /** A heartbeat's `info.features` becomes the manager's `runtime_features`. */
  verifyRuntimeFeatures: boolean;
  /** The instance setting Admin Mode: admins act as admins only with the `admin_mode` scope. */
  adminMode: boolean;
  /** Runner token lifetime; `null` (default) means tokens never expire. */
  tokenExpiresInSeconds: number | null;
  /** Prefix of tokens from `POST /runners`: `glrtr-` (GitLab ≥ 17.11), `t1_`, or `""`. */
  registeredTokenPrefix: string;
  /** `per_page` when none is given. Default 20. */
  defaultPerPage: number;
  /** Largest `per_page` honoured. Default 100. */
  maxPerPage: number;
  /** Behave as if a listing had >10 000 rows: no `x-total`, `x-total-pages`, `rel="last"`. */
  omitTotals: boolean;
  /** Delay added to every response, in ms. Default 0. */
  latencyMs: number;
  /** What `GET /version` and `GET /metadata` report. */
  gitlabVersion: string;
  /** The server's notion of "now" (token expiry, `contacted_at`, status). Default: real time. */
  clock: () => Date;
  /**
   * Hostile mode: a request arriving on a keep-alive connection that already carried one is
   * acted on, then its connection is closed without a reply (as a server that closes idle
   * connections just as a request goes out). Default false.
   */
  closeReusedConnections: boolean;
}

/** Options for {@link startFakeGitLab}. */
export interface FakeGitLabOptions extends Partial<BehaviourOptions> {
  /**
   * The GitLab version to behave as (`"15.9"`, `"16.10.2"`, `"newest"`); default
   * {@link DEFAULT_VERSION}. Explicit switches given alongside override what it derives.
   */
  version?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Faults to install at start (see {@link Fault}). */
  faults?: Fault[];
  /** A Rack::Attack throttle over every API request (see `throttle.ts`); none by default. */
  throttle?: ThrottleSettings;
  /** Serve HTTPS with this PEM certificate chain and key (the URL is then `https://…`). */
  tls?: { cert: string; key: string };
}

/** The defaults: an unpatched GitLab {@link DEFAULT_VERSION}. */
export const DEFAULT_OPTIONS: Readonly<BehaviourOptions> = Object.freeze({
  exposeTokenInDetails: false,
  adminMode: false,
  tokenExpiresInSeconds: null,
  defaultPerPage: 20,
  maxPerPage: 100,
  omitTotals: false,
  latencyMs: 0,
  clock: () => new Date(),
  closeReusedConnections: false,
  ...(optionsForVersion(DEFAULT_VERSION) as VersionOptions),
});

type VersionOptions = Pick<BehaviourOptions, VersionSwitch | "gitlabVersion">;

/** The options of a fake started with `options`: its version's switches, then explicit ones. */
export function initialOptions(options: FakeGitLabOptions): BehaviourOptions {
  const base = options.version === undefined
    ? DEFAULT_OPTIONS
    : mergeOptions(DEFAULT_OPTIONS, optionsForVersion(options.version));
  return mergeOptions(base, options);
}

/** `base` with every defined value of `patch` applied. */
export function mergeOptions(
  base: BehaviourOptions,
  patch: Partial<BehaviourOptions>,
): BehaviourOptions {
  const out: BehaviourOptions = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined && key in DEFAULT_OPTIONS) {
      (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

export { optionsForVersion };
