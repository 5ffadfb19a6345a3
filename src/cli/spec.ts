/**
 * The one definition of register-runner's command line: commands, options, environment,
 * files and exit codes. The parser (`options.ts`), `--help` and `help COMMAND` (`help.ts`), the
 * man page (`man.ts`) and the shell completions (`completions.ts`) are all generated from it, so
 * they cannot drift apart.
 *
 * @module
 */

/** The subcommands. `sync` is the default. */
export const COMMANDS = ["sync", "plan", "check", "unregister"] as const;
/** One of {@link COMMANDS}. */
export type Command = typeof COMMANDS[number];

/** One command-line option. */
export interface OptionSpec {
  /** Long name without the dashes. */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** Placeholder of the value; absent for a flag. */
  arg?: string;
  /** Default value as parsed (strings only). */
  default?: string;
  /** Allowed values, for completions (and validated by the parser). */
  choices?: readonly string[];
  /** What the completions offer for the value. */
  complete?: "directory" | "file" | "command";
  /** One-line description (may wrap in help output). */
  help: string;
  /**
   * Commands it is meaningful for; all when absent. Given to another command it is a usage error
   * (exit 2), never silently ignored.
   */
  commands?: readonly Command[];
}

/** The options, in the order `--help` lists them. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "prefix",
    short: "p",
    arg: "DIR",
    default: "/etc/gitlab-runner",
    complete: "directory",
    help: "configuration directory (default /etc/gitlab-runner)",
  },
  {
    name: "service-instance",
    arg: "NAME",
    default: "main",
    help: "systemd instance name, e.g. %i (default main)",
  },
  {
    name: "tag-schema",
    arg: "FILE",
    complete: "file",
    help: "JSON Schema the tag properties must satisfy",
  },
  {
    name: "capture-tags",
    arg: "PROGRAM",
    complete: "command",
    help: "executable printing extra tag properties as JSON",
  },
  {
    name: "strict",
    help:
      "sync: fail (exit 5) instead of keeping the last good config when a GitLab cannot be reached",
    // plan and unregister always fail when a GitLab cannot be reached; check contacts none.
    commands: ["sync"],
  },
  {
    name: "allow-empty",
    help: "sync: run even when no executor file is left, deleting every runner of this " +
      "instance (without it: exit 3, nothing changed)",
    commands: ["sync"],
  },
  {
    name: "timeout",
    arg: "SECONDS",
    default: "60",
    help: "overall budget for GitLab requests, retries included (default 60)",
    // check contacts no GitLab.
    commands: ["sync", "plan", "unregister"],
  },
  {
    name: "lock-timeout",
    arg: "SECONDS",
    default: "120",
    help: "how long to wait for another run on the same instance (default 120)",
    // plan and check take no lock.
    commands: ["sync", "unregister"],
  },
  {
    name: "concurrency",
    arg: "N",
    default: "8",
    help: "requests in flight per GitLab (default 8)",
    commands: ["sync", "plan", "unregister"],
  },
  {
    name: "metrics-file",
    arg: "FILE",
    complete: "file",
    help:
      "sync: after every run write Prometheus metrics there (node_exporter textfile collector, *.prom)",
    commands: ["sync"],
  },
  { name: "yes", help: "unregister: really delete", commands: ["unregister"] },
  {
    name: "output",
    arg: "FORMAT",
    default: "text",
    choices: ["text", "json"],
    help: "stdout: text (default) or json (one document; logs stay on stderr)",
  },
  { name: "verbose", short: "v", help: "log debug details (requests, timings)" },
  { name: "quiet", short: "q", help: "log warnings and errors only" },
  {
    name: "log-format",
    arg: "FORMAT",
    default: "text",
    choices: ["text", "json"],
    help: "stderr: text (default) or json (one object per line)",
  },
  { name: "help", short: "h", help: "show this help" },
  { name: "version", short: "V", help: "show the version" },
];

/** One subcommand. */
export interface CommandSpec {
  name: Command;
  /** Usage line after `register-runner` (the default command shows as `[sync]`). */
  usage: string;
  /** One line, for the overview. */
  summary: string;
  /** Paragraphs (each a list of lines) describing it. */
  description: readonly string[];
  /** The exit codes it can return. */
  exitCodes: readonly number[];
  /** What an exit code means for this command, where it differs from {@link EXIT_CODES}. */
  exitNotes?: Readonly<Record<number, string>>;
}

/** The subcommands, in the order `--help` lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: "sync",
    usage: "[sync] [options]",
    summary: "register, restore, update, delete; write the config",
    description: [
      "sync reads {prefix}/config.template.{instance}.toml and the executor files in\n" +
      "{prefix}/{instance}/*.toml, registers the runners this host should have, restores their tokens,\n" +
      "deletes the ones whose file was removed, fixes drifted tags and attributes, and writes\n" +
      "{prefix}/config.{instance}.toml (0600).",
    ],
    exitCodes: [0, 1, 2, 3, 4, 5, 6],
    exitNotes: {
      0: "in sync (also when a GitLab was unreachable and its last good config was kept)",
      5: "a GitLab could not be reached, with --strict or with no previous config",
    },
  },
  {
    name: "plan",
    usage: "plan [options]",
    summary: "show what sync would do; change nothing",
    description: [
      "plan is read-only: GitLab gets only GET requests and POST /runners/verify (which records a\n" +
      "heartbeat, as gitlab-runner's own verify does); no file is written, not even a lock. It prints\n" +
      "the actions per GitLab and a diff of the config (tokens masked).",
    ],
    exitCodes: [0, 1, 2, 3, 4, 5, 10],
    exitNotes: { 0: "nothing to do", 5: "a GitLab could not be reached", 10: "changes pending" },
  },
  {
    name: "check",
    usage: "check [options]",
    summary: "validate the local files, offline",
    description: [
      "check contacts no GitLab: prefix, permissions, TOML, keys, secret files, ca_file bundles, the\n" +
      "existing config and the runners' tags.",
    ],
    exitCodes: [0, 1, 2, 3],
    exitNotes: { 0: "inputs valid" },
  },
  {
    name: "unregister",
    usage: "unregister --yes [options]",
    summary: "delete this host's runners (this instance) in GitLab\n" +
      "and write the config without runners",
    description: [
      "unregister deletes only runners register-runner can prove are this host's and instance's: listed\n" +
      "with both tags and an owned description (personal access token), or, without one, the verified\n" +
      "tokens in the local config. Without --yes it only says what it would delete (exit 2).",
    ],
    exitCodes: [0, 1, 2, 3, 4, 5, 6],
    exitNotes: {
      0: "this host's runners were deleted and the config written",
      2: "wrong command-line usage; without --yes: nothing deleted",
      5: "a GitLab could not be reached",
    },
  },
];

/** One exit code and what it means (for all commands; see {@link CommandSpec.exitNotes}). */
export interface ExitCodeSpec {
  code: number;
  meaning: string;
}

/** The exit codes, as `--help` and the man page list them. */
export const EXIT_CODES: readonly ExitCodeSpec[] = [
  {
    code: 0,
    meaning: "in sync (also when a GitLab was unreachable and its last good config was kept);\n" +
      "plan: nothing to do; check: inputs valid",
  },
  { code: 1, meaning: "internal error (a bug; please report it)" },
  { code: 2, meaning: "wrong command-line usage; unregister without --yes" },
  {
    code: 3,
    meaning: "invalid local input: TOML syntax, keys, permissions, secret files; sync with no\n" +
      "executor file left (see --allow-empty); two client_configs urls of one GitLab",
  },
  {
    code: 4,
    meaning: "GitLab refused a request: wrong or under-privileged token, registration disabled",
  },
  {
    code: 5,
    meaning: "a GitLab could not be reached (sync: with --strict, or with no previous config;\n" +
      "plan and unregister: always)",
  },
  { code: 6, meaning: "another register-runner holds the lock for this prefix and instance" },
  { code: 10, meaning: "plan: changes pending" },
];

/** One environment variable register-runner reads. */
export interface EnvSpec {
  name: string;
  help: string;
}

/** The environment variables, as `--help` lists them (names sharing a line are joined by ", "). */
export const ENVIRONMENT: readonly EnvSpec[] = [
  {
    name: "REGISTER_RUNNER_HOSTNAME",
    help: "host name to use instead of the system's (tags and descriptions)",
  },
  {
    name: "CREDENTIALS_DIRECTORY",
    help: "systemd credentials: a bare *_file name is looked up here first",
  },
  {
    name: "HTTPS_PROXY, HTTP_PROXY, NO_PROXY",
    help:
      "proxy for https:// and http:// GitLab URLs, and hosts that bypass it (honoured by Deno's fetch)",
  },
  {
    name: "REGISTER_RUNNER_CPUINFO",
    help: "a cpuinfo file to read instead of /proc/cpuinfo (host facts; tests, unusual hosts)",
  },
  {
    name: "REGISTER_RUNNER_MACHINE",
    help: "the architecture instead of the system's, as uname -m spells it (host facts)",
  },
  { name: "PATH", help: "where a --capture-tags program named without a slash is looked up" },
  {
    name: "variables named in env_tags",
    help: "an executor file's env_tags turn their values into tags",
  },
  {
    name: "JOURNAL_STREAM",
    help: "set by systemd: text log lines get <N> syslog priority prefixes",
  },
];

/** Files, for the man page. */
export const FILES: readonly { path: string; help: string }[] = [
  {
    path: "{prefix}/config.template.{instance}.toml",
    help: "the site template: GitLab URLs, tokens (as *_file references) and global settings",
  },
  {
    path: "{prefix}/{instance}/*.toml",
    help: "one executor file per runner this host should have",
  },
  {
    path: "{prefix}/config.{instance}.toml",
    help: "the gitlab-runner config register-runner writes (0600); gitlab-runner reloads it",
  },
  {
    path: "/usr/lib/systemd/system/register-runner@.service, register-runner@.timer",
    help: "periodic sync of an instance without restarting gitlab-runner",
  },
  {
    path: "/usr/lib/systemd/system/gitlab-runner@.service",
    help: "gitlab-runner for an instance, started after its sync",
  },
  {
    path: "/usr/share/doc/register-runner/examples/prefix/",
    help: "an example prefix",
  },
];

/** Examples, for the man page: a comment and a command line. */
export const EXAMPLES: readonly { text: string; command: string }[] = [
  {
    text: "Validate the files offline:",
    command: "register-runner check --prefix /etc/gitlab-runner",
  },
  {
    text: "Show what a sync would change:",
    command: "register-runner plan --service-instance main",
  },
  {
    text: "Sync and write metrics for node_exporter:",
    command:
      "register-runner --service-instance main --metrics-file /var/lib/prometheus/node-exporter/register-runner-main.prom",
  },
  {
    text: "Sync every 15 minutes without restarting gitlab-runner:",
    command: "systemctl enable --now register-runner@main.timer",
  },
  {
    text: "Delete this host's runners of instance main:",
    command: "register-runner unregister --yes --service-instance main",
  },
];

/** The options meaningful for a command, in `--help` order. */
export function optionsFor(command: Command): OptionSpec[] {
  return OPTIONS.filter((o) => o.commands === undefined || o.commands.includes(command));
}

/** The spec of a command. */
export function commandSpec(command: Command): CommandSpec {
  return COMMAND_SPECS.find((c) => c.name === command)!;
}
