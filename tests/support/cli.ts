/**
 * Runs the real CLI as a subprocess on a test {@link Prefix}: to completion ({@link runCli}) or in
 * the background ({@link spawnCli}, for tests that kill it).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Prefix } from "./prefix.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Host name the CLI is told to use, so tests are independent of the machine. */
export const HOST = "node7";

/** What a CLI run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The default CLI: `deno run main.ts` with the permissions the tests grant. */
export const DENO_RUN_CLI: readonly string[] = [
  Deno.execPath(),
  "run",
  "--quiet",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net=127.0.0.1",
  "--allow-sys=hostname,uid",
  "--allow-run",
  `${ROOT}main.ts`,
];

/** How {@link runCli} starts the CLI. */
export interface RunOptions {
  /** Program and leading arguments, e.g. `[compiledBinary]`; default {@link DENO_RUN_CLI}. */
  command?: readonly string[];
}

/** The CLI command (`main.ts`, or `options.command`) on a prefix, with piped output. */
export function cliCommand(
  prefix: Prefix,
  args: string[] = [],
  env: Record<string, string> = {},
  options: RunOptions = {},
): Deno.Command {
  const [program, ...leading] = options.command ?? DENO_RUN_CLI;
  return new Deno.Command(program!, {
    args: [...leading, "--prefix", prefix.dir, "--service-instance", prefix.instance, ...args],
    env: { REGISTER_RUNNER_HOSTNAME: HOST, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `main.ts` (or `options.command`) with the given arguments (the prefix and instance are added). */
export async function runCli(
  prefix: Prefix,
  args: string[] = [],
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<RunResult> {
  const out = await cliCommand(prefix, args, env, options).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A CLI run in progress. */
export interface CliChild {
  child: Deno.ChildProcess;
  /** Resolves once the process exited, with what it printed. */
  done: Promise<RunResult & { signal: Deno.Signal | null }>;
}

/** Starts `main.ts` on the prefix without waiting for it. */
export function spawnCli(
  prefix: Prefix,
  args: string[] = [],
  env: Record<string, string> = {},
): CliChild {
  const child = cliCommand(prefix, args, env).spawn();
  const decoder = new TextDecoder();
  const done = child.output().then((out) => ({
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  }));
  return { child, done };
}
