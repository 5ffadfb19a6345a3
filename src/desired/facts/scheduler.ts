/**
 * Which batch scheduler a host submits to, found from the commands on `$PATH`.
 *
 * @module
 */

/** Input of {@link detectScheduler}. */
export interface DetectSchedulerInput {
  /** The `$PATH` value: directories separated by `:` (empty entries are ignored). */
  path: string;
  /** Whether `file` (an absolute or PATH-relative path) is an executable file. */
  isExecutable: (file: string) => boolean;
}

interface SchedulerRule {
  readonly name: string;
  /** Present when any of these commands is found... */
  readonly anyOf: readonly string[];
  /** ...and all of these too. */
  readonly allOf: readonly string[];
}

/**
 * Rules in priority order: the first that matches wins.
 *
 * - `slurm` first: its `slurm-torque` wrappers install `qsub` and `pbsnodes`, so a Slurm host
 *   would otherwise look like PBS.
 * - `lsf` (`bsub`) next.
 * - `cobalt` (`cqsub`) before `pbs`: Cobalt also ships a `qsub`.
 * - `pbs` needs `qsub` and `pbsnodes` (PBS Pro, OpenPBS, Torque all ship both; `qsub` alone is
 *   too common, e.g. Grid Engine and Cobalt have one).
 * - `flux` last: flux-core is packaged on many hosts whose system scheduler is another one (it
 *   runs as a nested, user-level instance under Slurm or LSF), so `flux` on `$PATH` only means
 *   Flux is the scheduler when nothing else is there.
 */
const RULES: readonly SchedulerRule[] = [
  { name: "slurm", anyOf: ["sbatch", "salloc", "srun"], allOf: [] },
  { name: "lsf", anyOf: ["bsub"], allOf: [] },
  { name: "cobalt", anyOf: ["cqsub"], allOf: [] },
  { name: "pbs", anyOf: ["qsub"], allOf: ["pbsnodes"] },
  { name: "flux", anyOf: ["flux"], allOf: [] },
];

/** The scheduler names {@link detectScheduler} can return, in its priority order. */
export const SCHEDULERS: readonly string[] = RULES.map((rule) => rule.name);

function join(directory: string, command: string): string {
  return directory.endsWith("/") ? `${directory}${command}` : `${directory}/${command}`;
}

/**
 * The batch scheduler whose client commands are on `path`: `slurm`, `lsf`, `cobalt`, `pbs` or
 * `flux`, in that priority order when several are present (see the rules above), or
 * `undefined` when none is. Pure apart from the `isExecutable` calls.
 */
export function detectScheduler(input: DetectSchedulerInput): string | undefined {
  const directories = input.path.split(":").filter((directory) => directory !== "");
  const found = new Map<string, boolean>();
  const onPath = (command: string): boolean => {
    let present = found.get(command);
    if (present === undefined) {
      present = directories.some((directory) => input.isExecutable(join(directory, command)));
      found.set(command, present);
    }
    return present;
  };
  const rule = RULES.find((candidate) =>
    candidate.anyOf.some(onPath) && candidate.allOf.every(onPath)
  );
  return rule?.name;
}

/**
 * Whether `file` is a regular file (after following symlinks) with at least one execute bit
 * set. On platforms without POSIX modes any regular file counts. Missing files, directories
 * and unreadable paths are `false`; never throws. Needs read permission for `file`.
 */
export function isExecutableFile(file: string): boolean {
  try {
    const info = Deno.statSync(file);
    if (!info.isFile) return false;
    return info.mode === null || (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
