/**
 * Command-line parsing into typed options. No side effects: `main.ts` acts on the result.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../kernel/errors.ts";
import type { LogLevel } from "../kernel/env.ts";

/** The subcommands. `sync` is the default. */
export const COMMANDS = ["sync", "plan", "check", "unregister"] as const;
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
  /** What goes to stdout: a readable report, or one JSON document. */
  output: "text" | "json";
  /** `unregister`: really delete. */
  yes: boolean;
}

/** The `--help` text, with the commands and exit codes. */
export const HELP =
  `register-runner: make GitLab and gitlab-runner's config.toml agree for this host.

Usage:
  register-runner [sync] [options]       register, restore, update, delete; write the config
  register-runner plan [options]         show what sync would do; change nothing
  register-runner check [options]        validate the local files, offline
  register-runner unregister --yes [options]
                                         delete this host's runners (this instance) in GitLab
                                         and write the config without runners

sync reads {prefix}/config.template.{instance}.toml and the executor files in
{prefix}/{instance}/*.toml, registers the runners this host should have, restores their tokens,
deletes the ones whose file was removed, fixes drifted tags and attributes, and writes
{prefix}/config.{instance}.toml (0600).

plan is read-only: GitLab gets only GET requests and POST /runners/verify (which records a
heartbeat, as gitlab-runner's own verify does); no file is written, not even a lock. It prints
the actions per GitLab and a diff of the config (tokens masked).

check contacts no GitLab: prefix, permissions, TOML, keys, secret files, ca_file bundles, the
existing config and the runners' tags.

unregister deletes only runners register-runner can prove are this host's and instance's: listed
with both tags and an owned description (personal access token), or, without one, the verified
tokens in the local config. Without --yes it only says what it would delete (exit 2).

Options:
  -p, --prefix DIR           configuration directory (default /etc/gitlab-runner)
      --service-instance NAME
                             systemd instance name, e.g. %i (default main)
      --tag-schema FILE      JSON Schema the tag properties must satisfy
      --capture-tags PROGRAM executable printing extra tag properties as JSON
      --strict               sync: fail (exit 5) instead of keeping the last good config when a
                             GitLab cannot be reached
      --timeout SECONDS      overall budget for GitLab requests, retries included (default 60)
      --lock-timeout SECONDS how long to wait for another run on the same instance (default 120)
      --concurrency N        requests in flight per GitLab (default 8)
      --yes                  unregister: really delete
      --output FORMAT        stdout: text (default) or json (one document; logs stay on stderr)
  -v, --verbose              log debug details (requests, timings)
  -q, --quiet                log warnings and errors only
      --log-format FORMAT    stderr: text (default) or json (one object per line)
  -h, --help                 show this help
  -V, --version              show the version

Environment:
  REGISTER_RUNNER_HOSTNAME   host name to use instead of the system's (tags and descriptions)
  CREDENTIALS_DIRECTORY      systemd credentials: a bare *_file name is looked up here first
  HTTPS_PROXY, NO_PROXY      proxy for GitLab requests (and exceptions)
  JOURNAL_STREAM             set by systemd: text log lines get <N> syslog priority prefixes

Exit codes:
  0  in sync (also when a GitLab was unreachable and its last good config was kept);
     plan: nothing to do; check: inputs valid
  1  internal error (a bug; please report it)
  2  wrong command-line usage; unregister without --yes
  3  invalid local input: TOML syntax, keys, permissions, secret files
  4  GitLab refused a request: wrong or under-privileged token, registration disabled
  5  a GitLab could not be reached (sync: with --strict, or with no previous config;
     plan and unregister: always)
  6  another register-runner holds the lock for this prefix and instance
  10 plan: changes pending
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
        output: { type: "string", default: "text" },
        yes: { type: "boolean", default: false },
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
  const output = values.output;
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output must be text or json, not "${output}"`);
  }
  if (values.yes && command !== "unregister") {
    throw new UsageError("--yes only applies to unregister", {
      hint: `remove --yes, or run register-runner unregister --yes`,
    });
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
    output,
    yes: values.yes,
  };
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
