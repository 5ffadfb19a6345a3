#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-sys=hostname
/**
 * register-runner's entry point: wires the command line, the environment and the sync together,
 * prints the outcome, and is the only place that exits.
 *
 * @module
 */

import { HELP, parseCli } from "./src/cli.ts";
import { type RuntimeEnv, systemClock } from "./src/env.ts";
import { createLogger } from "./src/log.ts";
import { exitCodeOf, formatError, formatSyncReport } from "./src/report.ts";
import { sync } from "./src/sync.ts";
import { VERSION } from "./src/version.ts";

const encoder = new TextEncoder();
const printErr = (line: string) => Deno.stderr.writeSync(encoder.encode(`${line}\n`));
const printOut = (text: string) => Deno.stdout.writeSync(encoder.encode(`${text}\n`));

async function main(args: string[]): Promise<number> {
  let verbose = false;
  try {
    const cli = parseCli(args);
    verbose = cli.logLevel === "debug";
    if (cli.help) {
      printOut(HELP);
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
    const report = await sync({
      prefix: cli.prefix,
      instance: cli.instance,
      env,
      strict: cli.strict,
      timeoutMs: cli.timeoutMs,
      lockTimeoutMs: cli.lockTimeoutMs,
      checkPermissions: true,
      concurrency: cli.concurrency,
      ...(cli.tagSchema === undefined ? {} : { tagSchemaFile: cli.tagSchema }),
      ...(cli.captureTags === undefined ? {} : { captureTagsProgram: cli.captureTags }),
    });
    printOut(formatSyncReport(report));
    return 0;
  } catch (error) {
    printErr(formatError(error, verbose));
    return exitCodeOf(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
