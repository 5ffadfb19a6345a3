#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-sys=hostname --allow-run
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
import { type RuntimeEnv, systemClock } from "./src/kernel/env.ts";
import { createLogger, formatBlock } from "./src/kernel/log.ts";
import { errorFields, exitCodeOf, formatError } from "./src/commands/report.ts";
import { VERSION } from "./src/kernel/version.ts";

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

async function main(args: string[]): Promise<number> {
  let cli: CliOptions | undefined;
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
      clock: systemClock,
      logger,
      random: Math.random,
    };
    const result = await runCommand(cli, env);
    printOut(cli.output === "json" ? JSON.stringify(result.document) : result.text);
    if (result.error !== undefined) reportError(result.error, cli);
    return result.exitCode;
  } catch (error) {
    reportError(error, cli);
    const code = exitCodeOf(error);
    if (cli ? cli.output === "json" : wantsJsonOutput(args)) {
      const ctx = documentContext(cli ?? { prefix: "/etc/gitlab-runner", instance: "main" });
      printOut(JSON.stringify(errorDocument(cli?.command ?? commandOf(args), ctx, code, error)));
    }
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
