/**
 * Runs the command the command line names and turns its report into both outputs (text for
 * people, a JSON document for machines) and an exit code. `main.ts` prints one of them.
 *
 * @module
 */

import { resolve } from "node:path";
import type { CliOptions } from "../cli/options.ts";
import type { RuntimeEnv } from "../kernel/env.ts";
import { ExitCode, UsageError } from "../kernel/errors.ts";
import {
  formatCheckReport,
  formatPlanReport,
  formatSyncReport,
  formatUnregisterReport,
} from "./report.ts";
import {
  checkDocument,
  type DocumentContext,
  planDocument,
  syncDocument,
  unregisterDocument,
} from "./documents.ts";
import type { JsonDocument } from "./output.ts";
import type { PipelineOptions } from "./pipeline.ts";
import type { GitLabReach, SyncReport } from "./sync.ts";

/** What a command produced. */
export interface CommandResult {
  exitCode: number;
  /** The report for people (stdout without `--output json`). */
  text: string;
  /** The report for machines (stdout with `--output json`). */
  document: JsonDocument;
  /** An error to report on stderr although the command produced a report (e.g. unreachable). */
  error?: unknown;
  /** `sync`: its report (for `--metrics-file`). */
  sync?: SyncReport;
}

/** Where a command runs, for documents. */
export function documentContext(cli: Pick<CliOptions, "prefix" | "instance">): DocumentContext {
  return { prefix: resolve(cli.prefix), instance: cli.instance };
}

/** What a caller may learn of a run even when it throws (for `--metrics-file`). */
export interface RunObserver {
  /** `sync`: which GitLabs answered, once all were tried. */
  onReach?: (reach: GitLabReach[]) => void;
}

/** Runs `cli.command`. Throws `RegisterRunnerError`s when there is no report to give. */
export async function runCommand(
  cli: CliOptions,
  env: RuntimeEnv,
  observer: RunObserver = {},
): Promise<CommandResult> {
  const ctx = documentContext(cli);
  const options: PipelineOptions = {
    prefix: cli.prefix,
    instance: cli.instance,
    env,
    timeoutMs: cli.timeoutMs,
    checkPermissions: true,
    concurrency: cli.concurrency,
    ...(cli.tagSchema === undefined ? {} : { tagSchemaFile: cli.tagSchema }),
    ...(cli.captureTags === undefined ? {} : { captureTagsProgram: cli.captureTags }),
  };
  switch (cli.command) {
    case "sync": {
      // Each command is loaded only when it runs (start-up cost).
      const { sync } = await import("./sync.ts");
      const report = await sync({
        ...options,
        strict: cli.strict,
        allowEmpty: cli.allowEmpty,
        lockTimeoutMs: cli.lockTimeoutMs,
        ...(observer.onReach ? { onReach: observer.onReach } : {}),
      });
      return {
        exitCode: ExitCode.Ok,
        text: formatSyncReport(report),
        document: syncDocument(report, ctx),
        sync: report,
      };
    }
    case "plan": {
      const { plan } = await import("./plan.ts");
      const report = await plan(options);
      const unreachable = report.clients.find((c) => c.status === "unreachable");
      return {
        exitCode: report.exitCode,
        text: formatPlanReport(report),
        document: planDocument(report, ctx),
        ...(unreachable?.status === "unreachable" ? { error: unreachable.error } : {}),
      };
    }
    case "check": {
      const { check } = await import("./check.ts");
      const report = await check(options);
      return {
        exitCode: ExitCode.Ok,
        text: formatCheckReport(report),
        document: checkDocument(report, ctx),
      };
    }
    case "unregister": {
      const { unregister } = await import("./unregister.ts");
      const report = await unregister({
        ...options,
        yes: cli.yes,
        lockTimeoutMs: cli.lockTimeoutMs,
      });
      const count = report.clients.reduce((n, c) => n + c.deletions.length, 0);
      const refusal = report.done ? undefined : new UsageError(
        `unregister would delete ${count} runner(s) in GitLab and remove every runner from ${report.outputFile}; refusing without --yes`,
        { hint: "check the list above, then run register-runner unregister --yes" },
      );
      const exitCode = refusal ? refusal.exitCode : ExitCode.Ok;
      return {
        exitCode,
        text: formatUnregisterReport(report),
        document: unregisterDocument(report, ctx, exitCode, refusal),
        ...(refusal ? { error: refusal } : {}),
      };
    }
  }
}
