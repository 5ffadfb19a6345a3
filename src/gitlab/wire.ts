/**
 * Turns GitLab's JSON (whose fields vary between versions) into the client's typed values.
 * Each function returns `undefined` when the JSON lacks what it cannot do without.
 *
 * @module
 */

import { knownTime, type RunnerToken, type TokenCheck } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { idsOf } from "./scope.ts";
import type { RunnerDetails, RunnerSummary, WireRunner, WireRunnerDetails } from "./types.ts";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

function id(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * Whether GitLab's runner entity has `paused` (14.8+): `true`/`false` when the entry says so by
 * having or lacking it next to `active`, `undefined` when it cannot tell.
 */
export function hasPausedField(wire: unknown): boolean | undefined {
  if (!isRecord(wire)) return undefined;
  if ("paused" in wire) return true;
  return "active" in wire ? false : undefined;
}

/** A listing entry; `paused` comes from `active` before GitLab 14.8. */
export function runnerSummary(wire: unknown): RunnerSummary | undefined {
  if (!isRecord(wire)) return undefined;
  const w = wire as WireRunner;
  const runnerId = id(w.id);
  if (runnerId === undefined) return undefined;
  const active = bool(w.active);
  const runnerType = str(w.runner_type);
  const status = str(w.status);
  return {
    id: runnerId,
    description: str(w.description) ?? "",
    paused: bool(w.paused) ?? (active === undefined ? false : !active),
    ...(runnerType === undefined ? {} : { runner_type: runnerType }),
    ...(status === undefined ? {} : { status }),
  };
}

/** `GET /runners/:id`; GitLab's defaults fill fields an old version does not send. */
export function runnerDetails(wire: unknown): RunnerDetails | undefined {
  const summary = runnerSummary(wire);
  if (!summary) return undefined;
  const w = wire as WireRunnerDetails;
  const tags = Array.isArray(w.tag_list) ? w.tag_list.filter((t) => typeof t === "string") : [];
  const token = str(w.token);
  const groupIds = idsOf(w.groups);
  const projectIds = idsOf(w.projects);
  return {
    ...summary,
    tag_list: tags,
    run_untagged: bool(w.run_untagged) ?? true,
    locked: bool(w.locked) ?? false,
    access_level: str(w.access_level) ?? "not_protected",
    maximum_timeout: typeof w.maximum_timeout === "number" ? w.maximum_timeout : 0,
    // Before GitLab 16.10 (MR !144482) the details have no maintenance_note: unknown, not "".
    ...("maintenance_note" in w || "maintainer_note" in w
      ? { maintenance_note: str(w.maintenance_note) ?? str(w.maintainer_note) ?? "" }
      : {}),
    ...(token ? { token: new Secret(token) } : {}),
    ...(groupIds === undefined ? {} : { groupIds }),
    ...(projectIds === undefined ? {} : { projectIds }),
  };
}

/**
 * A `POST /runners/verify` 2xx: the token is valid whatever the body. GitLab 15.10+ sends
 * `{id, token, token_expires_at}`; older ones the JSON string `"200"` (`body "200"` in
 * lib/api/ci/runner.rb), which carries no id: the caller takes it from elsewhere.
 */
export function tokenCheck(json: unknown): TokenCheck {
  if (isRecord(json)) {
    const runnerId = id(json.id);
    const expires = json.token_expires_at;
    return {
      status: "valid",
      ...(runnerId === undefined ? {} : { runnerId }),
      ...(typeof expires === "string" || expires === null
        ? { reported: { expiresAt: knownTime(expires) } }
        : {}),
    };
  }
  return { status: "valid" };
}

/**
 * `{id?, token, token_expires_at?}` from a create, register or reset reply, stamped as obtained
 * at `obtainedAt`. A missing or `null` expiry (tokens that do not expire, or GitLab < 15.3) is
 * `undefined`.
 */
export function issuedToken(
  json: unknown,
  obtainedAt: string,
): { id: number | undefined; token: RunnerToken } | undefined {
  if (!isRecord(json)) return undefined;
  const token = str(json.token);
  if (!token) return undefined;
  return {
    id: id(json.id),
    token: {
      token: new Secret(token),
      obtainedAt,
      expiresAt: knownTime(str(json.token_expires_at)),
    },
  };
}
