/**
 * Test helpers for src/load: temporary prefixes, a test environment, and assertions on
 * {@link InputError}s. Used only by `*_test.ts`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { LogFields, RuntimeEnv } from "../../src/kernel/env.ts";
import { systemClock } from "../../src/kernel/env.ts";
import { InputError } from "../../src/kernel/errors.ts";

/** Files of a test prefix, by path relative to it; executor files go under the instance dir. */
export interface PrefixSpec {
  /** Instance name (default `main`). */
  instance?: string;
  /** Template text; omitted means no template file. */
  template?: string;
  /** Executor files by name (`docker.toml`); `undefined` as a whole means no executor directory. */
  executors?: Record<string, string>;
  /** Other files (secrets, CA bundles) relative to the prefix. */
  files?: Record<string, string>;
}

/** A minimal valid template pointing at `https://gitlab.example.com` with a fake token file. */
export const MINIMAL_TEMPLATE = [
  "concurrent = 2",
  "",
  "[[client_configs]]",
  'url = "https://gitlab.example.com"',
  'personal_access_token_file = "pat"',
  "",
].join("\n");

/** A fake personal access token (never a real one). */
export const FAKE_PAT = "glpat-fake-0000";

const created: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of created) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  }
});

/** A fresh temporary directory, removed when the test process ends. */
export async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "register-runner-load-" });
  created.push(dir);
  return dir;
}

/** Creates a private temporary prefix (dirs 0700, files 0600) and returns its path. */
export async function makePrefix(spec: PrefixSpec): Promise<string> {
  const prefix = await tempDir();
  await Deno.chmod(prefix, 0o700);
  const instance = spec.instance ?? "main";
  const files: Record<string, string> = { ...spec.files };
  if (spec.template !== undefined) files[`config.template.${instance}.toml`] = spec.template;
  if (spec.executors !== undefined) {
    await Deno.mkdir(join(prefix, instance), { mode: 0o700 });
    for (const [name, text] of Object.entries(spec.executors)) files[join(instance, name)] = text;
  }
  for (const [name, text] of Object.entries(files)) {
    const path = join(prefix, name);
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
  }
  return prefix;
}

/** A standard prefix: minimal template, its token file, and the given executor files. */
export function makeStandardPrefix(executors: Record<string, string>): Promise<string> {
  return makePrefix({ template: MINIMAL_TEMPLATE, executors, files: { pat: `${FAKE_PAT}\n` } });
}

/** One logged line. */
export interface LogLine {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

/** A test environment with the given variables; log lines are appended to `log`. */
export function testEnv(vars: Record<string, string> = {}, log: LogLine[] = []): RuntimeEnv {
  const record = (level: string) => (message: string, fields?: LogFields) =>
    log.push({ level, message, fields });
  return {
    hostname: "test-host",
    getEnv: (name) => vars[name],
    clock: systemClock,
    logger: {
      debug: record("debug"),
      info: record("info"),
      warn: record("warn"),
      error: record("error"),
    },
    random: () => 0.5,
  };
}

/**
 * Runs `fn` and returns the InputError it throws; fails (with what happened instead) when it
 * resolves or throws anything else.
 */
export async function inputErrorOf(fn: () => unknown): Promise<InputError> {
  let outcome: unknown;
  try {
    outcome = await fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw new Error(`expected an InputError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected an InputError, but it succeeded with ${Deno.inspect(outcome)}`);
}

/** The full text a user would see for an error: message and hint. */
export function shown(error: InputError): string {
  return `${error.message}\n${error.hint ?? ""}`;
}
