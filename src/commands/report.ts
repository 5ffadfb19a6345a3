/**
 * The one place that turns errors and sync results into text for people. Errors say what failed,
 * where, and how to fix it; nothing printed here can contain a secret (tokens are {@link Secret}s
 * and GitLab messages are redacted by the client).
 *
 * @module
 */

import {
  ExitCode,
  GitLabApiError,
  type GitLabUnreachableError,
  type OutageSummary,
  RegisterRunnerError,
} from "../kernel/errors.ts";
import type { LogFields } from "../kernel/env.ts";
import type { CheckReport } from "./check.ts";
import type { PlanReport } from "./plan.ts";
import type { UnregisterReport } from "./unregister.ts";
import type { SyncReport } from "./sync.ts";
import type { QuarantinedFile, SourceRef } from "../kernel/model.ts";
import { InputErrors } from "../inputs/mod.ts";
import type { HeldRunner } from "../reconcile/quarantine.ts";
import type { RunnerResult } from "../reconcile/apply.ts";
import {
  type Change,
  DELETED,
  type DeletionView,
  deletionView,
  doneVerb,
  HELD,
  type StepView,
  stepView,
} from "./step_view.ts";

/**
 * Formats any thrown value as the lines printed on stderr. Every line starts with `error: `, so a
 * log filter on the level keeps the whole report; the first says what failed and, in parentheses,
 * where (the parts of the file, line and key the message does not already name); the following
 * lines are indented after the prefix:
 *
 * ```text
 * error: MESSAGE (FILE, line N, key K)
 * error:   request id: ID
 * error:   fix: HINT
 * ```
 *
 * Several input problems are numbered, each with its own place and fix.
 */
export function formatError(error: unknown, verbose = false): string {
  if (error instanceof RegisterRunnerError) {
    const lines: string[] = [];
    if (error instanceof InputErrors) {
      lines.push(error.message.split("\n")[0]!);
      error.problems.forEach((p, i) => {
        const number = `  ${i + 1}. `;
        lines.push(...indented(number, located(p.message, p.where)));
        if (p.hint) lines.push(...indented(`${" ".repeat(number.length)}fix: `, p.hint));
      });
    } else {
      lines.push(located(error.message, error.where));
    }
    if (error instanceof GitLabApiError && error.requestId) {
      lines.push(`  request id: ${error.requestId}`);
    }
    if (error.hint) lines.push(...indented("  fix: ", error.hint));
    if (verbose && error.cause instanceof Error) {
      lines.push(...indented("  cause: ", error.cause.message));
    }
    return prefixed(lines);
  }
  const detail = error instanceof Error
    ? (verbose ? error.stack ?? error.message : error.message)
    : String(error);
  return prefixed([
    `internal error: ${detail}`,
    "  This is a bug in register-runner; please report it with the output of --verbose.",
  ]);
}

/**
 * `message` with the place it is about appended in parentheses: the file, `line N` and `key K`
 * that the message does not already name (`FILE: key \`k\` (line 7): …` names all three).
 */
export function located(message: string, where: SourceRef | undefined): string {
  if (where === undefined) return message;
  const parts = [
    message.includes(where.file) ? undefined : where.file,
    where.line === undefined || message.includes(`line ${where.line}`)
      ? undefined
      : `line ${where.line}`,
    where.key === undefined || message.includes(`\`${where.key}\``)
      ? undefined
      : `key ${where.key}`,
  ].filter((x) => x !== undefined);
  if (parts.length === 0) return message;
  const [first, ...rest] = message.split("\n");
  return [`${first} (${parts.join(", ")})`, ...rest].join("\n");
}

/** `text`'s lines, the first after `lead`, the others aligned under it. */
function indented(lead: string, text: string): string[] {
  const pad = " ".repeat(lead.length);
  return text.split("\n").map((line, i) => (i === 0 ? lead : pad) + line);
}

/** Every line (multi-line entries split) after the level prefix `error: `. */
function prefixed(lines: string[]): string {
  return lines.flatMap((l) => l.split("\n")).map((l) => `error: ${l}`.trimEnd()).join("\n");
}

/**
 * The one warning sync prints for a GitLab it could not reach (the attempts are debug lines):
 * `URL unreachable after N attempts over T s (REASON); kept the last good config for K runner(s)`.
 */
export function unreachableWarning(
  url: string,
  error: GitLabUnreachableError,
  kept: number,
): string {
  const o = error.outage;
  const { baseUrl, method, path } = error.request;
  const lead = `GitLab ${baseUrl} could not be reached for ${method} ${path}: `;
  const why = error.message.startsWith(lead) ? error.message.slice(lead.length) : error.message;
  // Why it stopped early, unless it simply ran out of attempts (the count says that).
  const stopped = why.startsWith("gave up after ") ? "" : `; ${method} ${path}: ${why}`;
  const what = o === undefined
    ? error.message
    : `${url} unreachable after ${o.attempts} attempt${o.attempts === 1 ? "" : "s"} over ${
      (o.ms / 1000).toFixed(1)
    } s (${o.reason}${throttledPart(o)})${stopped}`;
  return `${what}; kept the last good config for ${kept} runner(s) (--strict fails instead)`;
}

/** `; throttled N times, requests held back T s` when GitLab throttled (429, 503); else empty. */
function throttledPart(o: OutageSummary): string {
  if (!o.throttled) return "";
  const { replies, waitedMs } = o.throttled;
  return `; throttled ${replies} time${replies === 1 ? "" : "s"}, requests held back ${
    (waitedMs / 1000).toFixed(1)
  } s`;
}

/** A thrown value as a log record (message and fields) for `--log-format json`. */
export function errorFields(error: unknown): { message: string; fields: LogFields } {
  if (error instanceof RegisterRunnerError) {
    const w = error.where;
    return {
      message: error.message,
      fields: {
        error: error.name,
        exit_code: error.exitCode,
        ...(w ? { file: w.file, key: w.key, line: w.line } : {}),
        ...(error instanceof GitLabApiError && error.requestId
          ? { request_id: error.requestId }
          : {}),
        ...(error.hint ? { fix: error.hint } : {}),
      },
    };
  }
  return {
    message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
    fields: { error: "InternalError", exit_code: ExitCode.Internal },
  };
}

/** The exit code for a thrown value. */
export function exitCodeOf(error: unknown): number {
  return error instanceof RegisterRunnerError ? error.exitCode : ExitCode.Internal;
}

/** A readable summary of what a sync did, one line per runner, in past tense. */
export function formatSyncReport(report: SyncReport): string {
  const lines: string[] = [];
  for (const c of report.clients) {
    if (c.status === "unreachable") {
      lines.push(`${c.url}: UNREACHABLE, kept the last good config for ${c.kept} runner(s)`);
      lines.push(`  ${c.error.message}`);
      continue;
    }
    lines.push(`${c.url}:`);
    const results = new Map(c.outcome.runners.map((r) => [r.desired.key, r]));
    const rows = [
      ...c.plan.steps.map((step) => {
        const result = results.get(step.desired.key);
        return doneRow(stepView(step, result?.id), result);
      }),
      ...c.plan.deletions.map((d) => deletionDoneRow(deletionView(d))),
      ...c.plan.held.map(heldRow),
    ];
    if (rows.length === 0) lines.push("  (no runners)");
    else lines.push(...table(rows));
  }
  lines.push(...quarantineLines(report.quarantined));
  lines.push(`config: ${report.config} ${report.outputFile}`);
  return lines.join("\n");
}

/** A step as a row of sync's report: `VERB`, `name (#id): details` (what was done). */
function doneRow(v: StepView, result: RunnerResult | undefined): string[] {
  const [verb, details] = doneCells(v, result);
  const moved = v.movedFrom === undefined ? "" : `; MOVED from ${v.movedFrom}.toml`;
  return [verb, `${details}${moved}`];
}

function doneCells(v: StepView, result: RunnerResult | undefined): [string, string] {
  const verb = doneVerb(v, result);
  const runner = `${v.runner}${v.id === null ? "" : ` (#${v.id})`}`;
  const changes = v.changes ? describeChanges(v.changes) : "";
  switch (verb) {
    case "kept":
      return [verb, runner];
    case "updated":
      return [verb, `${runner}: ${changes}`];
    case "not registered":
      return [verb, `${runner}: GitLab refused the registration (see the warnings)`];
    case "replaced (new id)":
      return [
        verb,
        `${runner}: ${v.reason}; its token could not be reset, so it was deleted and registered again`,
      ];
    default:
      return [verb, `${runner}: ${v.reason}${changes ? `; updated ${changes}` : ""}`];
  }
}

/** A runner held for a quarantined file, as a row of sync's report. */
function heldRow(h: HeldRunner): string[] {
  const id = h.runnerId === undefined ? "" : ` (#${h.runnerId})`;
  return [HELD, `${h.description}${id}: left as it was, ${h.reason}`];
}

function deletionDoneRow(v: DeletionView): string[] {
  return [DELETED, `${v.runner}${v.id === null ? "" : ` (#${v.id})`}: ${v.reason}`];
}

/** One line per quarantined executor file: where its first problem is. */
function quarantineLines(files: readonly QuarantinedFile[]): string[] {
  return files.map((q) => {
    const w = q.problems[0]?.where;
    const line = w?.line === undefined ? "" : ` (line ${w.line})`;
    const more = q.problems.length > 1 ? `, ${q.problems.length} problems` : "";
    return `quarantined: ${q.file}${line}${more}: left as it was; see the warnings`;
  });
}

/** `field: old → new` pairs of attribute changes. */
export function describeChanges(changes: Change[]): string {
  return changes
    .map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    .join(", ");
}

/** Columns padded to their widest cell, two spaces apart (the last column is not padded). */
export function table(rows: string[][], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows.map((row) =>
    indent +
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
      .trimEnd()
  );
}

/** A step as a row of plan's table: ACTION, RUNNER, ID, DETAILS. */
function stepRow(v: StepView): string[] {
  const id = v.id === null ? "-" : `#${v.id}`;
  const changes = v.changes ? describeChanges(v.changes) : "";
  const moved = v.movedFrom === undefined ? "" : `MOVED from ${v.movedFrom}.toml`;
  switch (v.kind) {
    case "keep":
      return [v.action, v.runner, id, [changes, moved].filter((x) => x).join("; ")];
    case "restore":
      return [
        v.action,
        v.runner,
        id,
        `${v.reason}; token ${v.token}${changes ? `; update ${changes}` : ""}${
          moved ? `; ${moved}` : ""
        }`,
      ];
    case "register": {
      const r = v.registration;
      const what = r === null ? "" : `; tags ${r.tags.join(",")}; ${r.attributes}; ${r.how}`;
      return [v.action, v.runner, id, `${v.reason}${what}`];
    }
  }
}

function deletionRow(v: DeletionView): string[] {
  return ["delete", v.runner, v.id === null ? "-" : `#${v.id}`, v.reason];
}

/** `plan`'s report: per GitLab a table of actions, then the config diff and a verdict. */
export function formatPlanReport(report: PlanReport): string {
  const lines: string[] = [];
  for (const c of report.clients) {
    if (c.status === "unreachable") {
      lines.push(`${c.url}: UNREACHABLE, cannot plan`, `  ${c.error.message}`);
      continue;
    }
    lines.push(`${c.url}:`);
    const rows = [
      ["ACTION", "RUNNER", "ID", "DETAILS"],
      ...c.plan.steps.map((s) => stepRow(stepView(s, undefined, c.credentials))),
      ...c.plan.deletions.map((d) => deletionRow(deletionView(d))),
      ...c.plan.held.map((h) => [
        "hold",
        h.description,
        h.runnerId === undefined ? "-" : `#${h.runnerId}`,
        `left as it was, ${h.reason}`,
      ]),
    ];
    if (rows.length === 1) lines.push("  (no runners)");
    else lines.push(...table(rows));
  }
  lines.push(...quarantineLines(report.quarantined));
  const verb = report.config === "unchanged" ? "unchanged" : "would change";
  lines.push(`config: ${verb} ${report.outputFile}`);
  if (report.diff !== "") lines.push(report.diff.trimEnd());
  else if (report.config === "would-change") {
    lines.push("  (only masked tokens or file permissions differ)");
  }
  lines.push(
    report.exitCode === ExitCode.Unreachable
      ? "plan: incomplete, a GitLab could not be reached"
      : report.exitCode === ExitCode.ChangesPending
      ? "plan: changes pending; `register-runner sync` would apply them"
      : "plan: nothing to do",
  );
  return lines.join("\n");
}

/** `check`'s report: what was validated. */
export function formatCheckReport(report: CheckReport): string {
  const lines = ["check: inputs are valid (offline: GitLab was not contacted)"];
  for (const c of report.clients) {
    const creds = [
      c.personalAccessToken ? "personal access token" : undefined,
      c.registrationToken ? "registration token" : undefined,
      c.caFile ? `ca_file ${c.caFile}` : undefined,
      c.scope ? `runners of ${c.scope.kind} ${c.scope.ref}` : undefined,
    ].filter((x) => x !== undefined);
    lines.push(`${c.url}: ${creds.join(", ") || "no credentials"}`);
  }
  const rows = report.runners.map((r) => [r.key, r.description, r.tags.join(",")]);
  if (rows.length > 0) lines.push(...table([["FILE", "RUNNER", "TAGS"], ...rows]));
  else lines.push("  (no executor files)");
  lines.push(`config: ${report.config} ${report.outputFile}`);
  return lines.join("\n");
}

/** `unregister`'s report: what was (or would be) deleted. */
export function formatUnregisterReport(report: UnregisterReport): string {
  const lines: string[] = [];
  const verb = report.done ? "deleted" : "would delete";
  for (const c of report.clients) {
    lines.push(`${c.url}:`);
    if (c.deletions.length === 0) lines.push("  (no runners of this host and instance)");
    lines.push(...table(
      c.deletions.map(deletionView).map((v) => [
        verb,
        v.runner,
        v.id === null ? "(by its token)" : `#${v.id}`,
      ]),
    ));
  }
  const config = report.done
    ? `config: ${report.config} ${report.outputFile} (no runners left)`
    : `config: ${
      report.config === "unchanged" ? "unchanged" : "would be rewritten without runners"
    } ${report.outputFile}`;
  lines.push(config);
  return lines.join("\n");
}
