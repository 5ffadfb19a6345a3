/**
 * Switches that make the fake behave like a particular GitLab version or configuration.
 * Defaults describe a modern GitLab (17+).
 *
 * @module
 */

import type { Fault } from "./faults.ts";

/** Behaviour switches; every one can be changed at runtime with `setOptions`. */
export interface BehaviourOptions {
  /** `POST /user/runners` exists (GitLab ≥ 15.11). Default true; false → 404 `{"error":"404 Not Found"}`. */
  userRunnersApi: boolean;
  /** `allow_runner_registration_token`. Default false: `POST /runners` gives 410 for any token. */
  allowRegistrationToken: boolean;
  /** LLNL-patched GitLab: `GET /runners/:id` includes `token` (admin caller or non-instance runner). */
  exposeTokenInDetails: boolean;
  /** GitLab ≤ 15.9: verify success body is the literal `200`. */
  legacyVerifyBody: boolean;
  /**
   * `POST /runners/:id/reset_authentication_token` and `POST /runners/reset_authentication_token`
   * exist (GitLab ≥ 15.3). Default true; false → 404 `{"error":"404 Not Found"}`.
   */
  resetTokenApi: boolean;
  /** GitLab ≤ 15.2: no `token_expires_at` in register/verify/reset bodies. */
  omitTokenExpiresAt: boolean;
  /** GitLab 13.x bodies: 404 `{"message":"404 Not found"}`, 403 without a reason. */
  legacyErrorBodies: boolean;
  /** Runner token lifetime; `null` (default) means tokens never expire. */
  tokenExpiresInSeconds: number | null;
  /** Prefix of tokens from `POST /runners`: `glrtr-` (default, GitLab ≥ 17.11), `t1_`, or `""`. */
  registeredTokenPrefix: string;
  /** `per_page` when none is given. Default 20. */
  defaultPerPage: number;
  /** Largest `per_page` honoured. Default 100. */
  maxPerPage: number;
  /** Behave as if a listing had >10 000 rows: no `x-total`, `x-total-pages`, `rel="last"`. */
  omitTotals: boolean;
  /** Delay added to every response, in ms. Default 0. */
  latencyMs: number;
  /** What `GET /version` reports. Default `17.11.2`. */
  gitlabVersion: string;
  /** The server's notion of "now" (token expiry, `contacted_at`, status). Default: real time. */
  clock: () => Date;
}

/** Options for {@link startFakeGitLab}. */
export interface FakeGitLabOptions extends Partial<BehaviourOptions> {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Faults to install at start (see {@link Fault}). */
  faults?: Fault[];
  /** Serve HTTPS with this PEM certificate chain and key (the URL is then `https://…`). */
  tls?: { cert: string; key: string };
}

/** The defaults: a modern, unpatched GitLab. */
export const DEFAULT_OPTIONS: Readonly<BehaviourOptions> = Object.freeze({
  userRunnersApi: true,
  allowRegistrationToken: false,
  exposeTokenInDetails: false,
  legacyVerifyBody: false,
  resetTokenApi: true,
  omitTokenExpiresAt: false,
  legacyErrorBodies: false,
  tokenExpiresInSeconds: null,
  registeredTokenPrefix: "glrtr-",
  defaultPerPage: 20,
  maxPerPage: 100,
  omitTotals: false,
  latencyMs: 0,
  gitlabVersion: "17.11.2",
  clock: () => new Date(),
});

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

/**
 * Options that make the fake behave like GitLab `version` (e.g. `"15.9.3"`, `"16.11"`):
 * which endpoints exist, body formats, and whether registration tokens are allowed by default.
 */
export function optionsForVersion(version: string): Partial<BehaviourOptions> {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10));
  const at = (m: number, n: number) => major > m || (major === m && minor >= n);
  return {
    gitlabVersion: version,
    userRunnersApi: at(15, 11),
    legacyVerifyBody: !at(15, 10),
    resetTokenApi: at(15, 3),
    omitTokenExpiresAt: !at(15, 3),
    legacyErrorBodies: !at(14, 0),
    allowRegistrationToken: !at(17, 0),
    registeredTokenPrefix: at(17, 11) ? "glrtr-" : at(17, 5) ? "t1_" : "",
  };
}
