/**
 * The GitLab client's own error classes (refinements of those in `src/errors.ts`) and the
 * extraction of GitLab's message from an error reply.
 *
 * @module
 */

import {
  type ErrorDetails,
  GitLabApiError,
  GitLabUnreachableError,
  type RequestFacts,
} from "../kernel/errors.ts";

/**
 * A request that is not safe to repeat (creating or registering a runner) may or may not have
 * been acted on: it timed out, the connection dropped, or a gateway answered 502/504. It was not
 * repeated; the next listing of the runners tells whether GitLab acted.
 */
export class OutcomeUnknownError extends GitLabUnreachableError {
  /** Always true: GitLab may or may not have acted on the request. */
  readonly outcomeUnknown = true as const;

  /** Creates an outcome-unknown error; the default hint explains why it was not retried. */
  constructor(
    request: RequestFacts,
    reason: string,
    lastStatus: number | undefined,
    details: ErrorDetails = {},
  ) {
    super(request, reason, lastStatus, {
      hint:
        "GitLab may or may not have acted on this request, so it was not repeated (that could " +
        "act twice); the next run looks GitLab's runners up and adopts whatever this created",
      ...details,
    });
  }
}

/**
 * `POST /user/runners` does not exist on this GitLab (older than 15.10): the caller may fall back
 * to a registration token.
 */
export class UserRunnersApiMissingError extends GitLabApiError {
  /** Creates the error; the default hint names both ways out. */
  constructor(
    request: RequestFacts,
    status: number,
    gitlabMessage: string,
    requestId: string | undefined,
    details: ErrorDetails = {},
  ) {
    super(request, status, gitlabMessage, requestId, {
      hint: "this GitLab has no POST /user/runners (it is older than 15.10, or the url is not " +
        "GitLab's): configure a registration_token for it, or upgrade GitLab",
      ...details,
    });
  }
}

/** `POST /runners` answered 410: registration tokens are disabled on this GitLab. */
export class RegistrationDisabledError extends GitLabApiError {
  /** Creates the error; the default hint says how to register instead. */
  constructor(
    request: RequestFacts,
    status: number,
    gitlabMessage: string,
    requestId: string | undefined,
    details: ErrorDetails = {},
  ) {
    super(request, status, gitlabMessage, requestId, {
      hint: "registration tokens are disabled on this GitLab (the default since GitLab 17.0): " +
        "configure a personal_access_token with the `create_runner` scope (an administrator's, " +
        "for instance runners), or have an administrator re-enable registration tokens in " +
        "Admin > Settings > CI/CD",
      ...details,
    });
  }
}

const MAX_MESSAGE = 500;

/** A parsed JSON body, or `undefined` when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compact(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

let redactNow: (text: string) => string = (text) => text;

/** Redacts (with the function in use), then clips: a secret straddling the cut never shows. */
function clip(text: string): string {
  const oneLine = redactNow(text).replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine;
}

/**
 * GitLab's message from an error reply: `{"message": ...}` (a string, or an object as compact
 * JSON), `{"error": ..., "error_description": ...}` (with the `scope` an OAuth scope error
 * names), an HTML page's title, or the text itself; clipped to 500 characters. `redact` is
 * applied before clipping, to the body as sent and to each piece parsed from it (so an echoed
 * secret is caught in whatever encoding it came).
 */
export function gitlabMessageOf(
  text: string,
  contentType: string | null,
  redact: (text: string) => string = (t) => t,
): string {
  const saved = redactNow;
  redactNow = redact;
  try {
    return messageOf(redact(text), contentType);
  } finally {
    redactNow = saved;
  }
}

function messageOf(text: string, contentType: string | null): string {
  const json = parseJson(text);
  if (isRecord(json)) {
    if (json.message !== undefined && json.message !== null) return clip(compact(json.message));
    if (json.error !== undefined && json.error !== null) {
      let msg = compact(json.error);
      if (typeof json.error_description === "string") msg += `: ${json.error_description}`;
      if (typeof json.scope === "string") msg += ` (accepted scopes: ${json.scope})`;
      return clip(msg);
    }
    return clip(JSON.stringify(json));
  }
  if (json !== undefined) return clip(compact(json));
  if (contentType?.includes("html") || /^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return title ? `HTML page "${clip(title)}"` : `HTML page of ${text.length} bytes`;
  }
  return text.trim() === "" ? "(empty body)" : clip(text);
}

/** True when the body is GitLab's OAuth "token lacks a scope" error. */
export function isInsufficientScope(text: string): boolean {
  const json = parseJson(text);
  return isRecord(json) && json.error === "insufficient_scope";
}

/**
 * `POST /user/runners` answered 400 because the group or project already has as many runners as
 * its plan allows (`ci_registered_group_runners` / `ci_registered_project_runners`, counted over
 * runners created or active in the last seven days; `app/models/concerns/limitable.rb`).
 */
export class RunnerLimitError extends GitLabApiError {}

/**
 * The limit a GitLab message names ("Maximum number of ci registered project runners (3)
 * exceeded"), or undefined.
 */
export function runnerLimitOf(
  message: string,
): { kind: "group" | "project"; count: number } | undefined {
  const match = /Maximum number of ci registered (group|project) runners \((\d+)\) exceeded/i
    .exec(message);
  if (!match) return undefined;
  return { kind: match[1]!.toLowerCase() as "group" | "project", count: Number(match[2]) };
}
