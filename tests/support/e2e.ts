/**
 * Shared pieces of the end-to-end robustness tests (crash, concurrency, degraded start, retries,
 * CLI fuzz): a setup with a fake GitLab and a prefix, a CLI child process that can be killed, and
 * the convergence check "exactly the desired runners, every token valid, no orphans".
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import type { FakeGitLab } from "./fake_gitlab/server.ts";
import { cliCommand, HOST, Prefix, type RunResult } from "./harness.ts";

export { expectOk, type FakeOptions, secretsOf, withSetup } from "./harness.ts";

/** Executor files by stem (`URL` is replaced by the GitLab's URL) and their executor type. */
export const EXECUTORS: Record<string, { body: string; executor: string }> = {
  shell: { body: `url = "URL"\nexecutor = "shell"\n`, executor: "shell" },
  cpu: {
    body: `url = "URL"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`,
    executor: "docker",
  },
  gpu: {
    body: `url = "URL"\nexecutor = "docker"\ntags = ["gpu"]\n[docker]\nimage = "cuda"\n`,
    executor: "docker",
  },
  batch: {
    body: `url = "URL"\nexecutor = "custom"\n[custom]\nrun_exec = "/bin/true"\n`,
    executor: "custom",
  },
  extra: {
    body: `url = "URL"\nexecutor = "ssh"\ntags = ["x"]\n[ssh]\nhost = "build1"\n`,
    executor: "ssh",
  },
};

/** Writes the template (one GitLab, admin PAT) and the named executor files. */
export async function writeSite(gitlab: FakeGitLab, prefix: Prefix, names: string[]) {
  await prefix.writeTemplate([{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }]);
  for (const name of names) await writeExecutor(gitlab, prefix, name);
}

/** Writes one executor file of {@link EXECUTORS}. */
export async function writeExecutor(gitlab: FakeGitLab, prefix: Prefix, name: string) {
  await prefix.writeExecutor(name, EXECUTORS[name]!.body.replaceAll("URL", gitlab.url));
}

/** The descriptions the named executor files give, sorted (the file name joins a shared type). */
export function descriptionsOf(names: string[]): string[] {
  const type = (n: string) => EXECUTORS[n]!.executor;
  return names.map((n) => {
    const shared = names.filter((m) => type(m) === type(n)).length > 1;
    return `${HOST} main ${type(n)}${shared ? ` ${n}` : ""} Runner`;
  }).sort();
}

/** Runners this host and instance own in the fake. */
export function ownRunners(gitlab: FakeGitLab) {
  return gitlab.runners().filter((r) =>
    r.description.startsWith(`${HOST} main `) && r.tag_list.includes(HOST) &&
    r.tag_list.includes("main")
  );
}

/** The `[[runners]]` sections of a config text. */
export function sectionsOf(text: string | undefined): Record<string, unknown>[] {
  ok(text !== undefined, "the config exists");
  return (parse(text).runners ?? []) as Record<string, unknown>[];
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

/** Files in the prefix that a finished run must not leave behind: temp files and the journal. */
export async function leftovers(prefix: Prefix): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(prefix.dir)) {
    if (/\.tmp-/.test(entry.name) || entry.name.endsWith(".journal")) found.push(entry.name);
  }
  return found.sort();
}

/**
 * The convergence check: GitLab holds exactly one owned runner per wanted description and nothing
 * else of ours; the config has one section per runner whose id exists and whose token is the one
 * GitLab currently accepts for that id; no temp file or journal is left.
 */
export async function assertConverged(
  gitlab: FakeGitLab,
  prefix: Prefix,
  descriptions: string[],
): Promise<void> {
  const owned = ownRunners(gitlab);
  deepEqual(owned.map((r) => r.description).sort(), [...descriptions].sort(), "owned runners");
  const sections = sectionsOf(await prefix.readOutput());
  deepEqual(sections.map((s) => s.name).sort(), [...descriptions].sort(), "config sections");
  for (const s of sections) {
    const server = gitlab.runner(s.id as number);
    ok(server, `section ${s.name}: runner ${s.id} exists`);
    equal(server.description, s.name, `section ${s.name}: id points at the right runner`);
    ok(s.token === server.token, `section ${s.name}: token is the runner's current token`);
  }
  deepEqual(owned.map((r) => r.id).sort(), sections.map((s) => s.id as number).sort(), "orphans");
  deepEqual(await leftovers(prefix), [], "leftover temp files or journal");
}

/** Counts recorded requests by method and path since index `from`. */
export function countRequests(
  gitlab: FakeGitLab,
  method: string,
  path: string | RegExp,
  from = 0,
): number {
  return gitlab.requests.slice(from).filter((r) =>
    r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path))
  ).length;
}
