/**
 * Command-line parsing into typed options. No side effects: `main.ts` acts on the result.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import type { LogLevel } from "./env.ts";

/** The subcommands. `sync` is the default. */
export const COMMANDS = ["sync"] as const;
/** One of {@link COMMANDS}. */
export type Command = typeof COMMANDS[number];

/** Parsed command line. */
export interface CliOptions {
  command: Command;
  help: boolean;
  version: boolean;
  prefix: string;
  instance: string;
  tagSchema: string | undefined;
  captureTags: string | undefined;
  strict: boolean;
  timeoutMs: number;
  lockTimeoutMs: number;
  concurrency: number;
  logLevel: LogLevel;
  logFormat: "text" | "json";
}

/** The `--help` text, with the exit codes. */
export const HELP =
  `register-runner: make GitLab and gitlab-runner's config.toml agree for this host.

Usage:
  register-runner [sync] [options]

Reads {prefix}/config.template.{instance}.toml and the executor files in {prefix}/{instance}/*.toml,
registers the runners this host should have, restores their tokens, deletes the ones whose file
was removed, fixes drifted tags and attributes, and writes {prefix}/config.{instance}.toml (0600).

Options:
  -p, --prefix DIR           configuration directory (default /etc/gitlab-runner)
      --service-instance NAME
                             systemd instance name, e.g. %i (default main)
      --tag-schema FILE      JSON Schema the tag properties must satisfy
      --capture-tags PROGRAM executable printing extra tag properties as JSON
      --strict               fail (exit 5) instead of keeping the last good config when a GitLab
                             cannot be reached
      --timeout SECONDS      overall budget for GitLab requests, retries included (default 60)
      --lock-timeout SECONDS how long to wait for another run on the same instance (default 120)
      --concurrency N        requests in flight per GitLab (default 8)
  -v, --verbose              log debug details (requests, timings)
  -q, --quiet                log warnings and errors only
      --log-format FORMAT    text (default) or json
  -h, --help                 show this help
  -V, --version              show the version

Environment:
  REGISTER_RUNNER_HOSTNAME   host name to use instead of the system's (tags and descriptions)

Exit codes:
  0  in sync (also when a GitLab was unreachable and its last good config was kept)
  1  internal error (a bug; please report it)
  2  wrong command-line usage
  3  invalid local input: TOML syntax, keys, permissions, secret files
  4  GitLab refused a request: wrong or under-privileged token, registration disabled
  5  a GitLab could not be reached (with --strict, or with no previous config)
  6  another register-runner holds the lock for this prefix and instance
`;

/** Parses argv (without the program name). Throws {@link UsageError}. */
export function parseCli(args: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        prefix: { type: "string", short: "p", default: "/etc/gitlab-runner" },
        "service-instance": { type: "string", default: "main" },
        "tag-schema": { type: "string" },
        "capture-tags": { type: "string" },
        strict: { type: "boolean", default: false },
        timeout: { type: "string", default: "60" },
        "lock-timeout": { type: "string", default: "120" },
        concurrency: { type: "string", default: "8" },
        verbose: { type: "boolean", short: "v", default: false },
        quiet: { type: "boolean", short: "q", default: false },
        "log-format": { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), {
      hint: "run register-runner --help",
    });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(" ")}`, {
      hint: "run register-runner --help",
    });
  }
  const command = positionals[0] ?? "sync";
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"`, {
      hint: `commands: ${COMMANDS.join(", ")}`,
    });
  }
  const logFormat = values["log-format"];
  if (logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(`--log-format must be text or json, not "${logFormat}"`);
  }
  if (values.verbose && values.quiet) {
    throw new UsageError("--verbose and --quiet exclude each other");
  }
  return {
    command: command as Command,
    help: values.help,
    version: values.version,
    prefix: values.prefix,
    instance: values["service-instance"],
    tagSchema: values["tag-schema"],
    captureTags: values["capture-tags"],
    strict: values.strict,
    timeoutMs: seconds("--timeout", values.timeout) * 1000,
    lockTimeoutMs: seconds("--lock-timeout", values["lock-timeout"]) * 1000,
    concurrency: positiveInt("--concurrency", values.concurrency),
    logLevel: values.verbose ? "debug" : values.quiet ? "warn" : "info",
    logFormat,
  };
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} takes a positive number of seconds, not "${value}"`);
  }
  return n;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new UsageError(`${flag} takes a whole number from 1 to 256, not "${value}"`);
  }
  return n;
}
