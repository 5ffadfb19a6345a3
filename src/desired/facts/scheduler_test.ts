import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { detectScheduler, isExecutableFile, SCHEDULERS } from "./scheduler.ts";

/** A temporary directory with fake commands; `mode` 0o755 unless given. */
function fakeBin(commands: Record<string, number> | string[]): string {
  const directory = Deno.makeTempDirSync({ prefix: "register-runner-facts-" });
  const entries = Array.isArray(commands)
    ? commands.map((command) => [command, 0o755] as const)
    : Object.entries(commands);
  for (const [command, mode] of entries) {
    const file = `${directory}/${command}`;
    Deno.writeTextFileSync(file, "#!/bin/sh\nexit 0\n");
    Deno.chmodSync(file, mode);
  }
  return directory;
}

function detectIn(...directories: string[]): string | undefined {
  return detectScheduler({ path: directories.join(":"), isExecutable: isExecutableFile });
}

function withCleanup(directories: string[], body: () => void): void {
  try {
    body();
  } finally {
    for (const directory of directories) Deno.removeSync(directory, { recursive: true });
  }
}

Deno.test("detectScheduler: each scheduler from its own commands", () => {
  const cases: Array<[string[], string]> = [
    [["sbatch", "squeue"], "slurm"],
    [["srun"], "slurm"],
    [["salloc"], "slurm"],
    [["bsub", "bjobs"], "lsf"],
    [["flux"], "flux"],
    [["qsub", "pbsnodes", "qstat"], "pbs"],
    [["cqsub", "qsub"], "cobalt"],
  ];
  for (const [commands, want] of cases) {
    const directory = fakeBin(commands);
    withCleanup([directory], () => assertEquals(detectIn(directory), want, commands.join(" ")));
  }
});

Deno.test("detectScheduler: none, or only ambiguous commands", () => {
  const directory = fakeBin(["qsub", "qstat", "ls"]);
  withCleanup([directory], () => {
    assertEquals(detectIn(directory), undefined);
    assertEquals(detectIn(), undefined);
    assertEquals(detectIn("/nonexistent/bin"), undefined);
  });
});

Deno.test("detectScheduler: priority order when several are present, across PATH entries", () => {
  assertEquals(SCHEDULERS, ["slurm", "lsf", "cobalt", "pbs", "flux"]);
  const flux = fakeBin(["flux"]);
  const lsf = fakeBin(["bsub"]);
  const slurmTorque = fakeBin(["sbatch", "qsub", "pbsnodes"]);
  withCleanup([flux, lsf, slurmTorque], () => {
    assertEquals(detectIn(flux, lsf), "lsf");
    assertEquals(detectIn(lsf, flux), "lsf");
    assertEquals(detectIn(flux, slurmTorque), "slurm");
    assertEquals(detectIn(flux, lsf, slurmTorque), "slurm");
    assertEquals(detectIn("", flux, ""), "flux");
  });
});

Deno.test("detectScheduler: PBS needs pbsnodes, which may be in another PATH entry", () => {
  const qsubOnly = fakeBin(["qsub"]);
  const pbsnodes = fakeBin(["pbsnodes"]);
  withCleanup([qsubOnly, pbsnodes], () => {
    assertEquals(detectIn(qsubOnly), undefined);
    assertEquals(detectIn(qsubOnly, `${pbsnodes}/`), "pbs");
  });
});

Deno.test("detectScheduler: non-executable files and directories do not count", () => {
  const directory = fakeBin({ sbatch: 0o644, bsub: 0o755 });
  Deno.mkdirSync(`${directory}/flux`);
  withCleanup([directory], () => assertEquals(detectIn(directory), "lsf"));
  const onlyDirectory = Deno.makeTempDirSync();
  Deno.mkdirSync(`${onlyDirectory}/flux`);
  withCleanup([onlyDirectory], () => assertEquals(detectIn(onlyDirectory), undefined));
});

Deno.test("detectScheduler: uses only the injected isExecutable", () => {
  const asked: string[] = [];
  const result = detectScheduler({
    path: "/usr/bin:/opt/lsf/bin/",
    isExecutable: (file) => {
      asked.push(file);
      return file === "/opt/lsf/bin/bsub";
    },
  });
  assertEquals(result, "lsf");
  assertEquals(asked.includes("/opt/lsf/bin/bsub"), true);
  assertEquals(asked.filter((file) => file === "/usr/bin/bsub").length, 1);
});

Deno.test("isExecutableFile: regular file with any x bit, following symlinks", () => {
  const directory = fakeBin({ owner: 0o700, group: 0o610, other: 0o601, none: 0o644 });
  Deno.symlinkSync(`${directory}/owner`, `${directory}/link`);
  Deno.symlinkSync(`${directory}/missing`, `${directory}/dangling`);
  withCleanup([directory], () => {
    assertEquals(isExecutableFile(`${directory}/owner`), true);
    assertEquals(isExecutableFile(`${directory}/group`), true);
    assertEquals(isExecutableFile(`${directory}/other`), true);
    assertEquals(isExecutableFile(`${directory}/none`), false);
    assertEquals(isExecutableFile(`${directory}/link`), true);
    assertEquals(isExecutableFile(`${directory}/dangling`), false);
    assertEquals(isExecutableFile(`${directory}/absent`), false);
    assertEquals(isExecutableFile(directory), false);
  });
});
