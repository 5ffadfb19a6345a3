#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-sys=hostname,uid --allow-run
/**
 * register-runner's entry point: wires the command line, the environment and the commands
 * together, prints the outcome (stdout: a report, or one JSON document with `--output json`;
 * stderr: logs and errors), and is the only place that exits.
 *
 * @module
 */

import { type CliOptions, commandOf, parseCli, wantsJsonOutput } from "./src/cli/options.ts";
import { helpText } from "./src/cli/help.ts";
import { errorDocument } from "./src/commands/documents.ts";
import { documentContext, runCommand } from "./src/commands/run.ts";
import { type Clock, type RuntimeEnv, systemClock } from "./src/kernel/env.ts";
import { createLogger, formatBlock } from "./src/kernel/log.ts";
import { errorFields, exitCodeOf, formatError } from "./src/commands/report.ts";
import { VERSION } from "./src/kernel/version.ts";
import { InputError } from "./src/kernel/errors.ts";
import type { GitLabReach, SyncReport } from "./src/commands/sync.ts";

const encoder = new TextEncoder();
const printErr = (line: string) => Deno.stderr.writeSync(encoder.encode(`${line}\n`));
const printOut = (text: string) => Deno.stdout.writeSync(encoder.encode(`${text}\n`));

/** Prints an error on stderr in the log format in use (journald priorities, or one JSON line). */
function reportError(error: unknown, cli: CliOptions | undefined): void {
  const verbose = cli?.logLevel === "debug";
  printErr(formatBlock("error", formatError(error, verbose), errorFields(error), {
    format: cli?.logFormat ?? "text",
    journald: Deno.env.get("JOURNAL_STREAM") !== undefined,
    now: () => new Date(),
  }));
}

/**
 * `--metrics-file`: records the run for Prometheus. A failure to write it is reported but does
 * not change the exit code (the sync itself is what the code is about); a missing directory is
 * only a warning.
 */
async function recordMetrics(
  cli: CliOptions | undefined,
  startedAt: Date,
  exitCode: number,
  report: SyncReport | undefined,
  reach: GitLabReach[] | undefined,
): Promise<void> {
  if (cli?.metricsFile === undefined || cli.help || cli.version) return;
  const { MetricsDirectoryMissing, writeMetricsFile } = await import("./src/commands/metrics.ts");
  try {
    await writeMetricsFile(cli.metricsFile, {
      prefix: cli.prefix,
      instance: cli.instance,
      startedAt,
      finishedAt: new Date(),
      exitCode,
      report,
      reach,
    });
  } catch (error) {
    if (error instanceof MetricsDirectoryMissing) {
      createLogger({
        level: cli.logLevel,
        format: cli.logFormat,
        journald: Deno.env.get("JOURNAL_STREAM") !== undefined,
        write: printErr,
        now: () => new Date(),
      }).warn(error.message, {
        fix:
          "create the directory (node_exporter's textfile collector reads it), or drop --metrics-file",
      });
      return;
    }
    reportError(
      new InputError(
        `could not write the metrics file ${cli.metricsFile}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { hint: "check that its directory exists and is writable" },
      ),
      cli,
    );
  }
}

/**
 * Runs the command line `args` and returns the exit code. `clock` is the system clock; tests of
 * clock steps pass another one (`tests/support/stepped_clock_cli.ts`).
 */
export async function main(args: string[], clock: Clock = systemClock): Promise<number> {
  const startedAt = new Date();
  let cli: CliOptions | undefined;
  let reach: GitLabReach[] | undefined;
  try {
    cli = parseCli(args);
    if (cli.help) {
      printOut(helpText(cli.helpCommand));
      return 0;
    }
    if (cli.version) {
      printOut(`register-runner ${VERSION}`);
      return 0;
    }
    const logger = createLogger({
      level: cli.logLevel,
      format: cli.logFormat,
      journald: Deno.env.get("JOURNAL_STREAM") !== undefined,
      write: printErr,
      now: () => new Date(),
    });
    const env: RuntimeEnv = {
      hostname: Deno.env.get("REGISTER_RUNNER_HOSTNAME") || Deno.hostname(),
      getEnv: (name) => Deno.env.get(name),
      clock,
      logger,
      random: Math.random,
    };
    const result = await runCommand(cli, env, { onReach: (r) => (reach = r) });
    printOut(cli.output === "json" ? JSON.stringify(result.document) : result.text);
    if (result.error !== undefined) reportError(result.error, cli);
    await recordMetrics(cli, startedAt, result.exitCode, result.sync, reach);
    return result.exitCode;
  } catch (error) {
    reportError(error, cli);
    const code = exitCodeOf(error);
    if (cli ? cli.output === "json" : wantsJsonOutput(args)) {
      const ctx = documentContext(cli ?? { prefix: "/etc/gitlab-runner", instance: "main" });
      printOut(JSON.stringify(errorDocument(cli?.command ?? commandOf(args), ctx, code, error)));
    }
    await recordMetrics(cli, startedAt, code, undefined, reach);
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
