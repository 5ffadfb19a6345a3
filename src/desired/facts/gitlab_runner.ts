/**
 * gitlab-runner's own version on this host (`gitlab-runner --version`), for the `info` a verify
 * sends. Never throws: absent, not executable, slow or unparsable means unknown.
 *
 * @module
 */

import { join } from "node:path";
import { isExecutableFile } from "./scheduler.ts";

/** gitlab-runner's version and git revision. */
export interface RunnerBinary {
  version: string;
  revision?: string;
}

/** `Version:` and `Git revision:` from `gitlab-runner --version`'s output. */
export function parseRunnerVersion(output: string): RunnerBinary | undefined {
  const version = /^Version:\s+(\S+)/m.exec(output)?.[1];
  if (version === undefined) return undefined;
  const revision = /^Git revision:\s+(\S+)/m.exec(output)?.[1];
  return { version, ...(revision ? { revision } : {}) };
}

/** The first `gitlab-runner` on `path` (a `PATH` value), if any. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(":")) {
    if (dir === "") continue;
    const file = join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** Runs `gitlab-runner --version` (at most `timeoutMs`) when it is on `path`. */
export async function readGitLabRunnerVersion(
  path: string | undefined,
  timeoutMs = 2000,
): Promise<RunnerBinary | undefined> {
  const file = findOnPath("gitlab-runner", path);
  if (file === undefined) return undefined;
  try {
    const output = await new Deno.Command(file, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return output.success ? parseRunnerVersion(new TextDecoder().decode(output.stdout)) : undefined;
  } catch {
    return undefined;
  }
}
