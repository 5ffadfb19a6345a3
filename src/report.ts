/**
 * The one place that turns errors and sync results into text for people. Errors say what failed,
 * where, and how to fix it; nothing printed here can contain a secret (tokens are {@link Secret}s
 * and GitLab messages are redacted by the client).
 *
 * @module
 */

import { ExitCode, GitLabApiError, RegisterRunnerError } from "./errors.ts";
import type { AttributeDiff, Deletion, RunnerStep } from "./plan.ts";
import type { SyncReport } from "./sync.ts";

/** Formats any thrown value as the lines printed on stderr. */
export function formatError(error: unknown, verbose = false): string {
  if (error instanceof RegisterRunnerError) {
    const lines = [`error: ${error.message}`];
    if (error.where) {
      const w = error.where;
      const at = [
        w.file,
        w.line === undefined ? undefined : `line ${w.line}`,
        w.key ? `key ${w.key}` : undefined,
      ]
        .filter((x) => x !== undefined).join(", ");
      lines.push(`  where: ${at}`);
    }
    if (error instanceof GitLabApiError && error.requestId) {
      lines.push(`  request id: ${error.requestId}`);
    }
    if (error.hint) lines.push(`  fix: ${error.hint}`);
    if (verbose && error.cause instanceof Error) lines.push(`  cause: ${error.cause.message}`);
    return lines.join("\n");
  }
  const detail = error instanceof Error
    ? (verbose ? error.stack ?? error.message : error.message)
    : String(error);
  return `internal error: ${detail}\n  This is a bug in register-runner; please report it with the output of --verbose.`;
}

/** The exit code for a thrown value. */
export function exitCodeOf(error: unknown): number {
  return error instanceof RegisterRunnerError ? error.exitCode : ExitCode.Internal;
}

/** A readable summary of what a sync did, one line per runner. */
export function formatSyncReport(report: SyncReport): string {
  const lines: string[] = [];
  for (const c of report.clients) {
    if (c.status === "unreachable") {
      lines.push(`${c.url}: UNREACHABLE, kept the last good config for ${c.kept} runner(s)`);
      lines.push(`  ${c.error.message}`);
      continue;
    }
    lines.push(`${c.url}:`);
    const ids = new Map(c.outcome.runners.map((r) => [r.desired.key, r.id]));
    for (const step of c.plan.steps) {
      lines.push(`  ${describeStep(step, ids.get(step.desired.key))}`);
    }
    for (const d of c.plan.deletions) lines.push(`  ${describeDeletion(d)}`);
    if (c.plan.steps.length === 0 && c.plan.deletions.length === 0) lines.push("  (no runners)");
  }
  lines.push(`config: ${report.config} ${report.outputFile}`);
  return lines.join("\n");
}

function describeStep(step: RunnerStep, id: number | undefined): string {
  const name = step.desired.description;
  const idText = id === undefined ? "" : ` (#${id})`;
  const update = "update" in step && step.update ? `; update ${describeDiff(step.update)}` : "";
  switch (step.action) {
    case "keep":
      return `keep      ${name}${idText}${update}`;
    case "restore":
      return `restore   ${name}${idText}: ${step.reason}, token ${
        step.method === "reset" ? "reset" : "read back"
      }${update}`;
    case "register":
      return `register  ${name}${idText}: ${step.reason}`;
  }
}

function describeDeletion(d: Deletion): string {
  const id = d.by === "id" ? ` (#${d.runnerId})` : "";
  return `delete    ${d.description}${id}: ${d.reason}`;
}

/** `field: old → new` pairs of an attribute diff. */
export function describeDiff(diff: AttributeDiff): string {
  return Object.entries(diff)
    .map(([field, [from, to]]) => `${field}: ${JSON.stringify(from)} → ${JSON.stringify(to)}`)
    .join(", ");
}
