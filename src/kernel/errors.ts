/**
 * Typed errors and the exit codes they map to. Every error a user can see says what failed,
 * where (file, key, line; or GitLab URL, method, status) and how to fix it. `main.ts` is the only
 * place that turns them into an exit code; `report.ts` is the only place that prints them.
 *
 * @module
 */

import type { SourceRef } from "./model.ts";

/** Process exit codes, documented in `--help` and the README. */
export const ExitCode = {
  /** Everything is in sync (or a GitLab was unreachable and its last good config was kept). */
  Ok: 0,
  /** An unexpected internal error (a bug): please report it. */
  Internal: 1,
  /** Wrong command-line usage. */
  Usage: 2,
  /** A local input is invalid: TOML syntax, missing or wrong keys, permissions, secret files. */
  Input: 3,
  /** GitLab refused a request: wrong or under-privileged token, disabled registration, bad request. */
  GitLab: 4,
  /** A GitLab could not be reached (and `--strict` was given, or there is no previous config). */
  Unreachable: 5,
  /** Another register-runner holds the lock for this prefix and instance. */
  Locked: 6,
  /** `plan`: changes are pending (not an error). */
  ChangesPending: 10,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** Options common to all register-runner errors. */
export interface ErrorDetails {
  /** Where in the inputs the problem is. */
  where?: SourceRef;
  /** What the user should do about it. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error meant for users. */
export class RegisterRunnerError extends Error {
  /** Where in the inputs the problem is. */
  readonly where: SourceRef | undefined;
  /** What the user should do about it. */
  readonly hint: string | undefined;
  /** The exit code `main.ts` uses for it. */
  readonly exitCode: ExitCodeValue;

  /** Creates an error with a message, exit code and optional location and hint. */
  constructor(message: string, exitCode: ExitCodeValue, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.where = details.where;
    this.hint = details.hint;
    this.exitCode = exitCode;
  }
}

/** Wrong command-line usage. */
export class UsageError extends RegisterRunnerError {
  /** Creates a usage error. */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.Usage, details);
  }
}

/** A local input (file, key, permission, secret) is invalid. */
export class InputError extends RegisterRunnerError {
  /** Creates an input error. */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.Input, details);
  }
}

/** Another run holds the lock. */
export class LockedError extends RegisterRunnerError {
  /** Creates a lock error. */
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, ExitCode.Locked, details);
  }
}

/** Facts about a failed GitLab request. Never contains a secret. */
export interface RequestFacts {
  /** GitLab base URL as configured (no credentials). */
  baseUrl: string;
  method: string;
  /** API path without query secrets, e.g. `/runners/12/reset_authentication_token`. */
  path: string;
}

/** GitLab answered with an error status that retrying will not fix (4xx other than 429). */
export class GitLabApiError extends RegisterRunnerError {
  /** HTTP status. */
  readonly status: number;
  /** The request that failed. */
  readonly request: RequestFacts;
  /** GitLab's `X-Request-Id`, if sent. */
  readonly requestId: string | undefined;
  /** GitLab's message (`message` or `error` field, or the text body), redacted. */
  readonly gitlabMessage: string;

  /** Creates an API error from the failed request's facts. */
  constructor(
    request: RequestFacts,
    status: number,
    gitlabMessage: string,
    requestId: string | undefined,
    details: ErrorDetails = {},
  ) {
    super(
      `GitLab ${request.baseUrl} answered ${request.method} ${request.path} with ${status}: ${gitlabMessage}`,
      ExitCode.GitLab,
      details,
    );
    this.status = status;
    this.request = request;
    this.requestId = requestId;
    this.gitlabMessage = gitlabMessage;
  }
}

/** What the failed attempts to one GitLab added up to (see `gitlab/outage.ts`). */
export interface OutageSummary {
  /** Failed attempts (network failures, 429, 5xx), every request's counted. */
  attempts: number;
  /** From the start of the first failed attempt until the requester gave up. */
  ms: number;
  /** The last failure: `HTTP 503`, or the network error. */
  reason: string;
  /**
   * When GitLab throttled (429, 503): how many such replies, and how long every request to it
   * was held back for them (overlapping waits counted once), ms.
   */
  throttled?: { replies: number; waitedMs: number };
}

/**
 * GitLab could not be reached, timed out, or kept failing with 429/5xx after retries. The outcome
 * of the request is unknown: GitLab may or may not have acted on it.
 */
export class GitLabUnreachableError extends RegisterRunnerError {
  /** The request that failed. */
  readonly request: RequestFacts;
  /** Last HTTP status seen, if any (429, 502, 503, 504, 500…). */
  readonly lastStatus: number | undefined;
  /** Every failed attempt to this GitLab until it gave up, set by the requester. */
  outage: OutageSummary | undefined;

  /** Creates an unreachable error. */
  constructor(
    request: RequestFacts,
    reason: string,
    lastStatus: number | undefined,
    details: ErrorDetails = {},
  ) {
    super(
      `GitLab ${request.baseUrl} could not be reached for ${request.method} ${request.path}: ${reason}`,
      ExitCode.Unreachable,
      details,
    );
    this.request = request;
    this.lastStatus = lastStatus;
  }
}
