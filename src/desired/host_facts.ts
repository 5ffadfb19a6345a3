/**
 * Gathers, once per run, the host facts that become tags (see `desired.ts`): the host name and
 * environment (for `env_tags`), the CPU (architecture, archspec microarchitecture and ancestors),
 * the batch scheduler on `$PATH`, the `--tag-schema` and the `--capture-tags` program's output
 * for each executor.
 *
 * Environment variables read here besides `env_tags` (for tests, emulators and odd hosts):
 * - `REGISTER_RUNNER_CPUINFO`: the cpuinfo file to read instead of `/proc/cpuinfo`;
 * - `REGISTER_RUNNER_MACHINE`: the architecture (`uname -m`) instead of this binary's own;
 * - `PATH`: where the scheduler's commands are looked for.
 *
 * @module
 */

import { baseTagProperties, type HostFacts } from "./runners.ts";
import type { RuntimeEnv } from "../kernel/env.ts";
import { readHostFacts, type ReadHostFactsOptions } from "./facts/read_host.ts";
import { detectScheduler, isExecutableFile } from "./facts/scheduler.ts";
import type { Site } from "../kernel/model.ts";
import { type CaptureInput, resolveCaptureProgram, runCapture } from "./tags/capture.ts";
import type { TagProperties } from "./tags/properties.ts";

/** Environment variable naming a cpuinfo file to read instead of `/proc/cpuinfo`. */
export const CPUINFO_ENV = "REGISTER_RUNNER_CPUINFO";
/** Environment variable naming the machine architecture (`uname -m` spelling). */
export const MACHINE_ENV = "REGISTER_RUNNER_MACHINE";

/** What {@link gatherHostFacts} may use. */
export interface GatherOptions {
  env: RuntimeEnv;
  /** `--tag-schema` file, if given. */
  tagSchemaFile?: string | undefined;
  /** `--capture-tags` program, if given. */
  captureTagsProgram?: string | undefined;
  /** The loaded site: needed to run the capture program once per executor file. */
  site?: Site | undefined;
}

/**
 * Collects the host facts once per run. Never fails for facts the host cannot give (an
 * unreadable cpuinfo gives the generic family, no scheduler gives none); throws an InputError
 * for a bad tag schema or a failing capture program.
 */
export async function gatherHostFacts(options: GatherOptions): Promise<HostFacts> {
  const { env } = options;
  const host: HostFacts = { hostname: env.hostname, getEnv: env.getEnv };
  const cpuOptions: ReadHostFactsOptions = {
    onError: (error) => {
      host.cpuProblem = error instanceof Error ? error.message : String(error);
    },
  };
  const cpuinfoPath = env.getEnv(CPUINFO_ENV);
  if (cpuinfoPath) cpuOptions.cpuinfoPath = cpuinfoPath;
  const machine = env.getEnv(MACHINE_ENV);
  if (machine) cpuOptions.machine = machine;
  host.cpu = await readHostFacts(cpuOptions);
  if (host.cpuProblem !== undefined) {
    env.logger.debug("could not read the CPU facts", { reason: host.cpuProblem });
  }
  const scheduler = detectScheduler({
    path: env.getEnv("PATH") ?? "",
    isExecutable: isExecutableFile,
  });
  if (scheduler !== undefined) host.scheduler = scheduler;
  env.logger.debug("host facts", {
    architecture: host.cpu.architecture,
    microarchitecture: host.cpu.microarchitecture,
    scheduler: scheduler ?? "none",
  });
  if (options.tagSchemaFile !== undefined) {
    // The JSON Schema validator (ajv) is loaded only when a schema is given: it costs ~30 ms.
    const { loadTagSchema } = await import("./tags/schema.ts");
    host.schema = await loadTagSchema(options.tagSchemaFile);
  }
  if (options.captureTagsProgram !== undefined) {
    const program = resolveCaptureProgram(options.captureTagsProgram, env.getEnv("PATH"));
    if (options.site === undefined) {
      throw new Error("--capture-tags needs the site: pass it to gatherHostFacts");
    }
    host.captured = await captureAll(program, options.site, host);
    host.captureProgram = program;
  }
  return host;
}

/** Runs the capture program once for every executor file, in parallel. */
async function captureAll(
  program: string,
  site: Site,
  host: HostFacts,
): Promise<Map<string, TagProperties>> {
  const runs = site.executors.map((spec) => {
    const base = baseTagProperties(spec, site.instance, host);
    const input: CaptureInput = {
      hostname: host.hostname,
      instance: site.instance,
      executor_type: spec.executor,
      executor_file: spec.key,
      env: Object.values(base.envTags),
      env_tags: base.envTags,
      properties: base.properties,
    };
    return runCapture({ program, input });
  });
  const results = await Promise.allSettled(runs);
  const captured = new Map<string, TagProperties>();
  results.forEach((result, i) => {
    if (result.status === "rejected") throw result.reason;
    captured.set(site.executors[i]!.key, result.value);
  });
  return captured;
}
