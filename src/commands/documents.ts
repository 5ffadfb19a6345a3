/**
 * Builds each command's `--output json` document (see `output.ts` for the shape) from its report.
 *
 * @module
 */

import { ExitCode } from "../kernel/errors.ts";
import type { SyncReport } from "./sync.ts";
import type { CheckReport } from "./check.ts";
import {
  type CommandName,
  document,
  jsonDeletion,
  type JsonDocument,
  jsonError,
  jsonQuarantined,
  jsonStep,
} from "./output.ts";
import type { PlanReport } from "./plan.ts";
import { deletionView, stepView } from "./step_view.ts";
import type { UnregisterReport } from "./unregister.ts";

/** Where the command ran. */
export interface DocumentContext {
  prefix: string;
  instance: string;
}

/** `sync`'s document. */
export function syncDocument(report: SyncReport, ctx: DocumentContext): JsonDocument {
  return document({
    command: "sync",
    exit_code: ExitCode.Ok,
    ...ctx,
    clients: report.clients.map((c) => {
      if (c.status === "unreachable") {
        return {
          url: c.url,
          status: "unreachable",
          steps: [],
          deletions: [],
          kept: c.kept,
          error: jsonError(c.error),
        };
      }
      const ids = new Map(c.outcome.runners.map((r) => [r.desired.key, r.id]));
      return {
        url: c.url,
        status: "synced",
        steps: c.plan.steps.map((s) => jsonStep(stepView(s, ids.get(s.desired.key)))),
        deletions: c.plan.deletions.map((d) => jsonDeletion(deletionView(d))),
        error: null,
      };
    }),
    config: { path: report.outputFile, status: report.config },
    quarantined: jsonQuarantined(report.quarantined),
    warnings: report.warnings,
  });
}

/** `plan`'s document. */
export function planDocument(report: PlanReport, ctx: DocumentContext): JsonDocument {
  const unreachable = report.clients.find((c) => c.status === "unreachable");
  return document({
    command: "plan",
    exit_code: report.exitCode,
    ...ctx,
    clients: report.clients.map((c) =>
      c.status === "unreachable"
        ? { url: c.url, status: "unreachable", steps: [], deletions: [], error: jsonError(c.error) }
        : {
          url: c.url,
          status: "planned",
          steps: c.plan.steps.map((s) => jsonStep(stepView(s))),
          deletions: c.plan.deletions.map((d) => jsonDeletion(deletionView(d))),
          error: null,
        }
    ),
    config: { path: report.outputFile, status: report.config, diff: report.diff },
    quarantined: jsonQuarantined(report.quarantined),
    warnings: report.warnings,
    error: unreachable?.status === "unreachable" ? jsonError(unreachable.error) : null,
  });
}

/** `check`'s document. */
export function checkDocument(report: CheckReport, ctx: DocumentContext): JsonDocument {
  return document({
    command: "check",
    exit_code: ExitCode.Ok,
    ...ctx,
    clients: report.clients.map((c) => ({
      url: c.url,
      status: "checked",
      steps: [],
      deletions: [],
      error: null,
    })),
    config: { path: report.outputFile, status: report.config },
    runners: report.runners.map((r) => ({
      file: r.key,
      runner: r.description,
      url: report.clients.find((c) => c.key === r.clientKey)?.url ?? r.clientKey,
      executor: r.executor,
      tags: r.tags,
    })),
    warnings: report.warnings,
  });
}

/** `unregister`'s document; `error` is the refusal without `--yes`. */
export function unregisterDocument(
  report: UnregisterReport,
  ctx: DocumentContext,
  exitCode: number,
  error?: unknown,
): JsonDocument {
  return document({
    command: "unregister",
    exit_code: exitCode,
    ...ctx,
    clients: report.clients.map((c) => ({
      url: c.url,
      status: report.done ? "unregistered" : "would-unregister",
      steps: [],
      deletions: c.deletions.map((d) => jsonDeletion(deletionView(d))),
      error: null,
    })),
    config: { path: report.outputFile, status: report.config },
    warnings: report.warnings,
    error: error === undefined ? null : jsonError(error),
  });
}

/** The document of a command that failed before it could report anything. */
export function errorDocument(
  command: CommandName,
  ctx: DocumentContext,
  exitCode: number,
  error: unknown,
): JsonDocument {
  return document({
    command,
    exit_code: exitCode,
    ...ctx,
    clients: [],
    config: null,
    warnings: [],
    error: jsonError(error),
  });
}
