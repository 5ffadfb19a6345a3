/**
 * Integration-test harness: lays out a prefix in a temp dir (with safe permissions, as an operator
 * would) and runs the real CLI as a subprocess against a fake GitLab on loopback.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type FakeGitLab, startFakeGitLab } from "./fake_gitlab/server.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Host name the CLI is told to use, so tests are independent of the machine. */
export const HOST = "node7";

/** One GitLab in the template. */
export interface TemplateClient {
  url: string;
  personal_access_token?: string;
  personal_access_token_file?: string;
  registration_token?: string;
  registration_token_file?: string;
}

/** A prefix directory under test. */
export class Prefix {
  /** Absolute path of the prefix. */
  readonly dir: string;
  /** Instance name. */
  readonly instance: string;

  private constructor(dir: string, instance: string) {
    this.dir = dir;
    this.instance = instance;
  }

  /** Creates an empty prefix (mode 0700) with an executor directory (0700). */
  static async create(instance = "main"): Promise<Prefix> {
    const dir = await Deno.makeTempDir({ prefix: "register-runner-test-" });
    await Deno.chmod(dir, 0o700);
    await Deno.mkdir(`${dir}/${instance}`, { mode: 0o700 });
    await Deno.chmod(`${dir}/${instance}`, 0o700);
    return new Prefix(dir, instance);
  }

  /** `config.template.{instance}.toml`. */
  get templateFile(): string {
    return `${this.dir}/config.template.${this.instance}.toml`;
  }

  /** `config.{instance}.toml`. */
  get outputFile(): string {
    return `${this.dir}/config.${this.instance}.toml`;
  }

  /** Writes the template with the given clients and global settings. */
  async writeTemplate(
    clients: TemplateClient[],
    globals = "concurrent = 4\ncheck_interval = 0\n",
  ): Promise<void> {
    const blocks = clients.map((c) =>
      "\n[[client_configs]]\n" +
      Object.entries(c).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n") + "\n"
    );
    await this.writeFile(`config.template.${this.instance}.toml`, globals + blocks.join(""));
  }

  /** Writes an executor file `{instance}/{name}.toml`. */
  async writeExecutor(name: string, body: string): Promise<void> {
    await this.writeFile(`${this.instance}/${name}.toml`, body);
  }

  /** Removes an executor file. */
  async removeExecutor(name: string): Promise<void> {
    await Deno.remove(`${this.dir}/${this.instance}/${name}.toml`);
  }

  /** Writes a file relative to the prefix with mode 0600. */
  async writeFile(relative: string, text: string): Promise<void> {
    const path = `${this.dir}/${relative}`;
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
  }

  /** The output config, or undefined when absent. */
  async readOutput(): Promise<string | undefined> {
    try {
      return await Deno.readTextFile(this.outputFile);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** Removes the prefix. */
  async cleanup(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

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
  "--allow-sys=hostname",
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
