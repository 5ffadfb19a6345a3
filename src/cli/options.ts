/**
 * Command-line parsing into typed options. No side effects: `main.ts` acts on the result.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "../kernel/errors.ts";
import type { LogLevel } from "../kernel/env.ts";
import { globalHelp } from "./help.ts";
import { type Command, COMMANDS, OPTIONS, type OptionSpec } from "./spec.ts";
import { didYouMean } from "./suggest.ts";

export { type Command, COMMANDS };

/** Parsed command line. */
export interface CliOptions {
  command: Command;
  help: boolean;
  /** The command whose help `help COMMAND` or `COMMAND --help` asks for; none: the global help. */
  helpCommand: Command | undefined;
  version: boolean;
  prefix: string;
  instance: string;
  tagSchema: string | undefined;
  captureTags: string | undefined;
  strict: boolean;
  /** `sync`: run even with no executor file left (deletes every runner of the instance). */
  allowEmpty: boolean;
  timeoutMs: number;
  lockTimeoutMs: number;
  concurrency: number;
  logLevel: LogLevel;
  logFormat: "text" | "json";
  /** What goes to stdout: a readable report, or one JSON document. */
  output: "text" | "json";
  /** `unregister`: really delete. */
  yes: boolean;
  /** `sync`: where to write Prometheus metrics after the run. */
  metricsFile: string | undefined;
}

/** The global `--help` text, with the commands and exit codes (generated from `spec.ts`). */
export const HELP: string = globalHelp();

/** Parses argv (without the program name). Throws {@link UsageError}. */
export function parseCli(args: string[]): CliOptions {
  checkOptionNames(args);
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: PARSE_OPTIONS });
  } catch (error) {
    throw new UsageError(cleanParseError(error), { hint: "run register-runner --help" });
  }
  const { positionals } = parsed;
  const values = parsed.values as unknown as ParsedValues;
  if (positionals[0] === "help") return helpRequest(positionals.slice(1), values);
  if (positionals.length > 1) {
    throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(" ")}`, {
      hint: "run register-runner --help",
    });
  }
  const command = positionals[0] ?? "sync";
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"`, {
      hint: commandHint(command),
    });
  }
  const logFormat = values["log-format"];
  if (logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(`--log-format must be text or json, not "${logFormat}"`);
  }
  const output = values.output;
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output must be text or json, not "${output}"`);
  }
  if (values.yes && command !== "unregister") {
    throw new UsageError("--yes only applies to unregister", {
      hint: `remove --yes, or run register-runner unregister --yes`,
    });
  }
  if (values["metrics-file"] !== undefined && command !== "sync") {
    throw new UsageError("--metrics-file only applies to sync", {
      hint: "remove --metrics-file, or run register-runner sync --metrics-file FILE",
    });
  }
  checkOptionsApply(command as Command, args);
  if (values["metrics-file"] === "") throw new UsageError("--metrics-file needs a file name");
  if (values.verbose && values.quiet) {
    throw new UsageError("--verbose and --quiet exclude each other");
  }
  return {
    command: command as Command,
    help: values.help,
    helpCommand: values.help && positionals[0] !== undefined ? command as Command : undefined,
    version: values.version,
    prefix: values.prefix,
    instance: values["service-instance"],
    tagSchema: values["tag-schema"],
    captureTags: values["capture-tags"],
    strict: values.strict,
    allowEmpty: values["allow-empty"],
    timeoutMs: seconds("--timeout", values.timeout) * 1000,
    lockTimeoutMs: seconds("--lock-timeout", values["lock-timeout"]) * 1000,
    concurrency: positiveInt("--concurrency", values.concurrency),
    logLevel: values.verbose ? "debug" : values.quiet ? "warn" : "info",
    logFormat,
    output,
    yes: values.yes,
    metricsFile: values["metrics-file"],
  };
}

/** The parser's option table, from the definitions in `spec.ts`. */
const PARSE_OPTIONS: ParseArgsOptionsConfig = Object.fromEntries(
  OPTIONS.map((o) => [o.name, {
    type: o.arg === undefined ? "boolean" : "string",
    ...(o.short === undefined ? {} : { short: o.short }),
    default: o.arg === undefined ? false : o.default,
  }]),
) as ParseArgsOptionsConfig;

/** The parsed values, typed by the definitions. */
interface ParsedValues {
  prefix: string;
  "service-instance": string;
  "tag-schema": string | undefined;
  "capture-tags": string | undefined;
  strict: boolean;
  "allow-empty": boolean;
  timeout: string;
  "lock-timeout": string;
  concurrency: string;
  "metrics-file": string | undefined;
  verbose: boolean;
  quiet: boolean;
  "log-format": string;
  output: string;
  yes: boolean;
  help: boolean;
  version: boolean;
}

/** `help [COMMAND]`: the options of a help request (only output options matter). */
function helpRequest(topics: string[], values: ParsedValues): CliOptions {
  if (topics.length > 1) {
    throw new UsageError(`help takes one command, not: ${topics.join(" ")}`, {
      hint: `commands: ${COMMANDS.join(", ")}`,
    });
  }
  // `help help`: the global help (which is where help itself is described).
  const topic = topics[0] === "help" ? undefined : topics[0];
  if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) {
    throw new UsageError(`unknown command "${topic}"`, { hint: commandHint(topic) });
  }
  return {
    command: (topic ?? "sync") as Command,
    help: true,
    helpCommand: topic as Command | undefined,
    version: false,
    prefix: values.prefix,
    instance: values["service-instance"],
    tagSchema: undefined,
    captureTags: undefined,
    strict: false,
    allowEmpty: false,
    timeoutMs: 60_000,
    lockTimeoutMs: 120_000,
    concurrency: 8,
    logLevel: "info",
    logFormat: values["log-format"] === "json" ? "json" : "text",
    output: "text",
    yes: false,
    metricsFile: undefined,
  };
}

/**
 * Rejects an option given to a command it has no meaning for (`spec.ts`: `commands`), e.g.
 * `--lock-timeout` on plan (which takes no lock) or `--timeout` on check (which contacts no
 * GitLab), instead of silently ignoring it.
 */
function checkOptionsApply(command: Command, args: string[]): void {
  for (const option of givenOptions(args)) {
    if (option.commands === undefined || option.commands.includes(command)) continue;
    const where = option.commands.join(", ");
    throw new UsageError(
      `--${option.name} does not apply to ${command}${WHY_NOT[`${option.name} ${command}`] ?? ""}`,
      {
        hint: `remove --${option.name} (it applies to ${where})`,
      },
    );
  }
}

/** Why an option has no meaning for a command, where it is not obvious. */
const WHY_NOT: Readonly<Record<string, string>> = {
  "strict plan": ": plan always fails (exit 5) when a GitLab cannot be reached",
  "strict unregister": ": unregister always fails (exit 5) when a GitLab cannot be reached",
  "strict check": ": check contacts no GitLab",
  "timeout check": ": check contacts no GitLab",
  "concurrency check": ": check contacts no GitLab",
  "lock-timeout check": ": check takes no lock",
  "lock-timeout plan": ": plan takes no lock",
};

/** The options named in argv (long or short), in order, before a `--`. */
function givenOptions(args: string[]): OptionSpec[] {
  const given: OptionSpec[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg.startsWith("--")) {
      const option = OPTIONS.find((o) => `--${o.name}` === arg.split("=", 1)[0]);
      if (option === undefined) continue;
      given.push(option);
      if (option.arg !== undefined && !arg.includes("=")) i++;
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let c = 1; c < arg.length; c++) {
        const option = OPTIONS.find((o) => o.short === arg[c]);
        if (option === undefined) break;
        given.push(option);
        if (option.arg !== undefined) {
          if (c === arg.length - 1) i++;
          break;
        }
      }
    }
  }
  return given;
}

function commandHint(command: string): string {
  const guess = didYouMean(command, [...COMMANDS, "help"]);
  return `${guess ? `did you mean ${guess}? ` : ""}commands: ${COMMANDS.join(", ")}, help`;
}

/**
 * Rejects an unknown option, or a value-taking option without its value, with a message that
 * names it and the closest known option (Node's own message quotes unevenly and suggests `--`).
 */
function checkOptionNames(args: string[]): void {
  const longs = OPTIONS.map((o) => `--${o.name}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return;
    if (arg.startsWith("--")) {
      const name = arg.split("=", 1)[0]!;
      const option = OPTIONS.find((o) => `--${o.name}` === name);
      if (option === undefined) {
        const guess = didYouMean(name, longs);
        throw new UsageError(`unknown option ${name}`, {
          hint: `${guess ? `did you mean ${guess}? ` : ""}run register-runner --help`,
        });
      }
      if (option.arg !== undefined && !arg.includes("=")) {
        const next = args[i + 1];
        if (next !== undefined && /^-\d/.test(next) && NUMERIC[option.name] !== undefined) {
          // `--timeout -5`: a value, and a wrong one (not a missing one).
          throw new UsageError(`${name} takes ${NUMERIC[option.name]}, not "${next}"`);
        }
        if (next === undefined || next.startsWith("-")) {
          throw new UsageError(`${name} needs a value (${option.arg})`, {
            hint: `write ${name} ${option.arg} or ${name}=${option.arg}`,
          });
        }
        i++;
      } else if (option.arg === undefined && arg.includes("=")) {
        throw new UsageError(`${name} takes no value`, { hint: `write ${name} alone` });
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let c = 1; c < arg.length; c++) {
        const option = OPTIONS.find((o) => o.short === arg[c]);
        if (option === undefined) {
          throw new UsageError(`unknown option -${arg[c]}`, {
            hint: "run register-runner --help",
          });
        }
        if (option.arg !== undefined) {
          if (c === arg.length - 1) {
            const next = args[i + 1];
            if (next === undefined || next.startsWith("-")) {
              throw new UsageError(`-${option.short} needs a value (${option.arg})`, {
                hint: `write -${option.short} ${option.arg}`,
              });
            }
            i++;
          }
          break; // the rest of the argument is the value
        }
      }
    }
  }
}

/** Node's parseArgs message without its quoting, for errors {@link checkOptionNames} misses. */
function cleanParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(". To specify a positional")[0]!.replaceAll("'", "");
}

/**
 * Whether argv asks for `--output json`, read without validating anything else: a usage error
 * still gets its JSON document.
 */
export function wantsJsonOutput(args: string[]): boolean {
  return args.some((a, i) => a === "--output=json" || (a === "--output" && args[i + 1] === "json"));
}

/** The command argv names, when it is a known one (for documents about usage errors). */
export function commandOf(args: string[]): Command {
  const named = args.find((a) => (COMMANDS as readonly string[]).includes(a));
  return (named as Command | undefined) ?? "sync";
}

/** What the numeric options take, in words (for their errors). */
const NUMERIC: Readonly<Record<string, string>> = {
  timeout: "a positive number of seconds",
  "lock-timeout": "a positive number of seconds",
  concurrency: "a whole number from 1 to 256",
};

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} takes ${NUMERIC[flag.slice(2)]}, not "${value}"`);
  }
  return n;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new UsageError(`${flag} takes ${NUMERIC[flag.slice(2)]}, not "${value}"`);
  }
  return n;
}
