/**
 * `--output json`: the one JSON document every command prints on stdout (logs stay on stderr).
 * The shape is stable: fields are only ever added, and `schema` changes if one ever has to change
 * meaning. No field ever holds a token.
 *
 * ```json
 * {
 *   "schema": 1, "command": "plan", "version": "0.1.0", "ok": true, "exit_code": 10,
 *   "prefix": "/etc/gitlab-runner", "instance": "main",
 *   "clients": [{
 *     "url": "https://gitlab.example.com", "status": "planned",
 *     "steps": [{ "action": "update", "runner": "node7 main shell Runner", "file": "shell",
 *                 "id": 12, "reason": "attributes differ: tag_list",
 *                 "update": { "tag_list": { "from": ["node7", "main"], "to": ["node7", "main", "shell"] } } }],
 *     "deletions": [{ "runner": "node7 main docker Runner", "id": 13, "by": "id", "reason": "no executor file" }],
 *     "error": null
 *   }],
 *   "config": { "path": "/etc/gitlab-runner/config.main.toml", "status": "would-change", "diff": "--- …" },
 *   "warnings": [], "error": null
 * }
 * ```
 *
 * @module
 */

import { GitLabApiError, RegisterRunnerError } from "../kernel/errors.ts";
import type { DeletionView, StepView } from "./step_view.ts";
import { VERSION } from "../kernel/version.ts";
import type { QuarantinedFile } from "../kernel/model.ts";

/** The version of the document's shape. */
export const OUTPUT_SCHEMA = 1;

/** The commands. */
export type CommandName = "sync" | "plan" | "check" | "unregister";

/** One attribute change: GitLab's value and the wanted one. */
export interface JsonChange {
  from: unknown;
  to: unknown;
}

/**
 * What happens to one desired runner. `update` is a `keep` whose attributes are changed in place;
 * a `restore` may carry an `update` too.
 */
export interface JsonStep {
  action: "keep" | "update" | "restore" | "register";
  /** The runner's description (also its `name` in config.toml). */
  runner: string;
  /** The executor file's name without `.toml`. */
  file: string;
  /** GitLab's runner id; null for a runner not registered yet. */
  id: number | null;
  reason: string;
  /** Attribute changes by field, or null. */
  update: Record<string, JsonChange> | null;
  /** Only for a runner that moves to this file: the executor file (stem) it belonged to. */
  moved_from?: string;
}

/** A runner deleted (or to be deleted) in GitLab. */
export interface JsonDeletion {
  runner: string;
  /** Null when it is deleted by its token (no personal access token configured). */
  id: number | null;
  by: "id" | "token";
  reason: string;
}

/** An error, as the reporter shows it. */
export interface JsonError {
  /** `InputError`, `GitLabApiError`, `GitLabUnreachableError`, `UsageError`, … or `InternalError`. */
  type: string;
  message: string;
  /** The file (and key, line) or null. */
  where: { file: string; key: string | null; line: number | null } | null;
  /** How to fix it, or null. */
  hint: string | null;
  /** GitLab's request id for an API error, or null. */
  request_id: string | null;
}

/**
 * One GitLab. `status`: `synced` (sync applied its plan), `planned` (plan), `unreachable`
 * (sync kept the last good config for `kept` runners; plan could not see it), `unregistered` and
 * `would-unregister` (unregister with and without `--yes`), `checked` (check, offline).
 */
export interface JsonClient {
  url: string;
  status: "synced" | "planned" | "unreachable" | "unregistered" | "would-unregister" | "checked";
  steps: JsonStep[];
  deletions: JsonDeletion[];
  /** Runners whose last good sections were kept (unreachable during sync); else absent. */
  kept?: number;
  error: JsonError | null;
}

/**
 * config.{instance}.toml. `status`: `written`/`unchanged` (sync, unregister --yes),
 * `would-change`/`unchanged` (plan, unregister without --yes), `present`/`absent` (check).
 */
export interface JsonConfig {
  path: string;
  status: "written" | "unchanged" | "would-change" | "present" | "absent";
  /** plan only: unified diff of the file, tokens masked; "" when unchanged. */
  diff?: string;
}

/** check only: a runner an executor file defines. */
export interface JsonDesired {
  file: string;
  runner: string;
  url: string;
  executor: string;
  tags: string[];
}

/**
 * sync and plan: an executor file left as it was (its problems are its own; `--strict` fails
 * instead). `file` is its path, `key` its name without `.toml`.
 */
export interface JsonQuarantined {
  file: string;
  key: string;
  problems: {
    message: string;
    where: { file: string; key: string | null; line: number | null } | null;
    hint: string | null;
  }[];
}

/** The document. */
export interface JsonDocument {
  schema: typeof OUTPUT_SCHEMA;
  command: CommandName;
  version: string;
  /** True when `exit_code` is 0 or 10 (plan: changes pending). */
  ok: boolean;
  exit_code: number;
  prefix: string;
  instance: string;
  clients: JsonClient[];
  config: JsonConfig | null;
  /** check only: the runners the executor files define. */
  runners?: JsonDesired[];
  /** sync and plan only: the executor files left as they were. */
  quarantined?: JsonQuarantined[];
  warnings: string[];
  error: JsonError | null;
}

/** A document with the fixed fields filled in. */
export function document(
  fields: Omit<JsonDocument, "schema" | "version" | "ok" | "error"> & {
    error?: JsonError | null;
  },
): JsonDocument {
  return {
    schema: OUTPUT_SCHEMA,
    command: fields.command,
    version: VERSION,
    ok: fields.exit_code === 0 || fields.exit_code === 10,
    exit_code: fields.exit_code,
    prefix: fields.prefix,
    instance: fields.instance,
    clients: fields.clients,
    config: fields.config,
    ...(fields.runners === undefined ? {} : { runners: fields.runners }),
    ...(fields.quarantined === undefined ? {} : { quarantined: fields.quarantined }),
    warnings: fields.warnings,
    error: fields.error ?? null,
  };
}

/** The JSON form of a thrown value (no stack, no secret: messages are already redacted). */
export function jsonError(error: unknown): JsonError {
  if (error instanceof RegisterRunnerError) {
    return {
      type: error.name,
      message: error.message,
      where: error.where
        ? { file: error.where.file, key: error.where.key ?? null, line: error.where.line ?? null }
        : null,
      hint: error.hint ?? null,
      request_id: error instanceof GitLabApiError ? error.requestId ?? null : null,
    };
  }
  return {
    type: "InternalError",
    message: error instanceof Error ? error.message : String(error),
    where: null,
    hint: "this is a bug in register-runner; please report it with the output of --verbose",
    request_id: null,
  };
}

/** The JSON form of quarantined executor files. */
export function jsonQuarantined(files: readonly QuarantinedFile[]): JsonQuarantined[] {
  return files.map((q) => ({
    file: q.file,
    key: q.key,
    problems: q.problems.map((p) => ({
      message: p.message,
      where: p.where
        ? { file: p.where.file, key: p.where.key ?? null, line: p.where.line ?? null }
        : null,
      hint: p.hint ?? null,
    })),
  }));
}

/** The JSON form of a step's view. */
export function jsonStep(v: StepView): JsonStep {
  return {
    action: v.action,
    runner: v.runner,
    file: v.file,
    id: v.id,
    reason: v.kind === "restore" ? `${v.reason}; token ${v.token}` : v.reason,
    update: v.changes === null
      ? null
      : Object.fromEntries(v.changes.map((c) => [c.field, { from: c.from, to: c.to }])),
    ...(v.movedFrom === undefined ? {} : { moved_from: v.movedFrom }),
  };
}

/** The JSON form of a deletion's view. */
export function jsonDeletion(v: DeletionView): JsonDeletion {
  return { runner: v.runner, id: v.id, by: v.by, reason: v.reason };
}
