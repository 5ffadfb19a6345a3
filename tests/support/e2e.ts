/**
 * End-to-end setup and assertions: a fresh fake GitLab and prefix per test ({@link withSetup}),
 * a standard site of executor files, the convergence check "exactly the desired runners, every
 * token valid, no orphans", secret-leak checks and request counts.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import { type FakeGitLab, startFakeGitLab } from "./fake_gitlab/server.ts";
import { HOST, type RunResult } from "./cli.ts";
import { Prefix } from "./prefix.ts";

/** Options of the fake GitLab. */
export type FakeOptions = Parameters<typeof startFakeGitLab>[0];

/** Runs `body` with a fresh fake GitLab and prefix, cleaning up after. */
export async function withSetup(
  options: FakeOptions,
  body: (gitlab: FakeGitLab, prefix: Prefix) => Promise<void>,
): Promise<void> {
  const gitlab = await startFakeGitLab(options);
  const prefix = await Prefix.create();
  try {
    await body(gitlab, prefix);
  } finally {
    gitlab.setGate(undefined);
    await gitlab.close();
    await prefix.cleanup();
  }
}

/** Every secret the fake GitLab knows (PATs, registration token, runner tokens), plus `extra`. */
export function secretsOf(gitlab: FakeGitLab, extra: string[] = []): string[] {
  return [
    gitlab.tokens.adminPat,
    gitlab.tokens.userPat,
    gitlab.tokens.registrationToken,
    ...gitlab.runners().map((r) => r.token),
    ...extra,
  ];
}

/** Asserts exit 0 and that no secret leaked into the output. */
export function expectOk(result: RunResult, gitlab: FakeGitLab, extra: string[] = []): void {
  equal(result.code, 0, `exit 0 expected, got ${result.code}; stderr:\n${result.stderr}`);
  assertNoSecrets(result.stdout + result.stderr, secretsOf(gitlab, extra));
}

/** Throws when any of the secrets appears in the text (names which one by position only). */
export function assertNoSecrets(text: string, secrets: (string | undefined)[]): void {
  secrets.forEach((s, i) => {
    if (s && s.length >= 4 && text.includes(s)) {
      throw new Error(`secret #${i} leaked into the output`);
    }
  });
}

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
