/**
 * Reads the CPU facts of the machine this process runs on.
 *
 * @module
 */

import { type CpuFacts, detectCpu, normalizeMachine } from "./cpu.ts";

/** Where `/proc/cpuinfo` is on Linux. */
export const DEFAULT_CPUINFO_PATH = "/proc/cpuinfo";

/** Options of {@link readHostFacts}. */
export interface ReadHostFactsOptions {
  /** The cpuinfo file to read; default {@link DEFAULT_CPUINFO_PATH}. */
  cpuinfoPath?: string;
  /** The machine as `uname -m` names it; default: this process's `Deno.build.arch`. */
  machine?: string;
  /** Told why the file could not be read, when the generic fallback is returned. */
  onError?: (error: unknown) => void;
}

/** `Deno.build.arch` (or any other spelling) as `uname -m` names it: `x86_64`, `aarch64`, ... */
export function unameMachine(arch: string = Deno.build.arch): string {
  return normalizeMachine(arch);
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/**
 * Reads `path` without ever prompting for a permission. Deno refuses to read files under
 * `/proc` and `/sys` unless the process has `--allow-all`, even with `--allow-read`
 * (denoland/deno#27564); when only that stops it and `cat` may be run (`--allow-run=cat`),
 * the file is read through `cat` instead.
 */
async function readWithoutPrompt(path: string): Promise<string> {
  if (!granted({ name: "read", path })) {
    throw new Deno.errors.NotCapable(`no read permission for ${path}`);
  }
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable) || !granted({ name: "run", command: "cat" })) {
      throw error;
    }
    const output = await new Deno.Command("cat", {
      args: ["--", path],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!output.success) throw new Error(`cat ${path} exited with status ${output.code}`);
    return new TextDecoder().decode(output.stdout);
  }
}

/**
 * The host's {@link CpuFacts}: reads the cpuinfo file and detects the microarchitecture with
 * {@link detectCpu}. Never throws (nor rejects) and never prompts for permissions: when the
 * file cannot be read (not Linux, no permission, ...) the result is the generic family,
 * `{architecture, microarchitecture: architecture, ancestors: []}`, and `onError` is told why.
 * Reading `/proc/cpuinfo` needs `--allow-all`, or `--allow-read` plus `--allow-run=cat`.
 */
export async function readHostFacts(options: ReadHostFactsOptions = {}): Promise<CpuFacts> {
  const machine = options.machine === undefined
    ? unameMachine()
    : normalizeMachine(options.machine);
  const architecture = machine || "unknown";
  try {
    const cpuinfo = await readWithoutPrompt(options.cpuinfoPath ?? DEFAULT_CPUINFO_PATH);
    return detectCpu({ cpuinfo, machine: architecture });
  } catch (error) {
    try {
      options.onError?.(error);
    } catch {
      // A failing callback must not make this function throw.
    }
    return { architecture, microarchitecture: architecture, ancestors: [] };
  }
}
