import { deepStrictEqual as assertEquals, match, ok, rejects } from "node:assert/strict";
import { desiredRunners } from "./runners.ts";
import { InputError } from "../kernel/errors.ts";
import { CPUINFO_ENV, gatherHostFacts, MACHINE_ENV } from "./host_facts.ts";
import { testEnv } from "../../tests/support/env.ts";
import { executorSpec, siteOf } from "../../tests/support/fixtures.ts";
import type { ExecutorSpec } from "../kernel/model.ts";

const FIXTURES = new URL("../../tests/fixtures/cpuinfo/", import.meta.url).pathname;
const EXAMPLE_SCHEMA = new URL("../../examples/tag_schema.json", import.meta.url).pathname;

function binWith(commands: string[]): string {
  const dir = Deno.makeTempDirSync({ prefix: "register-runner-bin-" });
  for (const c of commands) {
    Deno.writeTextFileSync(`${dir}/${c}`, "#!/bin/sh\n");
    Deno.chmodSync(`${dir}/${c}`, 0o755);
  }
  return dir;
}

const spec = (key: string, executor: string): ExecutorSpec =>
  executorSpec(key, executor, { envTags: ["SYS_TYPE"] });
const site = siteOf;

Deno.test("gatherHostFacts: CPU from REGISTER_RUNNER_CPUINFO/MACHINE, scheduler from PATH", async () => {
  const env = testEnv({
    vars: {
      [CPUINFO_ENV]: `${FIXTURES}aws-graviton2-neoverse-n1.txt`,
      [MACHINE_ENV]: "arm64",
      PATH: `/nonexistent:${binWith(["bsub", "flux"])}`,
    },
  });
  const host = await gatherHostFacts({ env });
  assertEquals(host.cpu?.architecture, "aarch64");
  assertEquals(host.cpu?.microarchitecture, "neoverse_n1");
  assertEquals(host.scheduler, "lsf");
  assertEquals(host.cpuProblem, undefined);
  assertEquals(host.schema, undefined);
});

Deno.test("gatherHostFacts: an unreadable cpuinfo gives the generic family and says why", async () => {
  const host = await gatherHostFacts({
    env: testEnv({
      vars: { [CPUINFO_ENV]: "/nonexistent/cpuinfo", [MACHINE_ENV]: "ppc64le", PATH: "" },
    }),
  });
  assertEquals(host.cpu, { architecture: "ppc64le", microarchitecture: "ppc64le", ancestors: [] });
  ok(host.cpuProblem !== undefined);
  assertEquals(host.scheduler, undefined);
});

Deno.test("gatherHostFacts: schema and capture program, run once per executor file", async () => {
  const dir = binWith([]);
  const log = `${dir}/calls`;
  const program = `${dir}/capture`;
  await Deno.writeTextFile(
    program,
    `#!/bin/sh\ninput=$(cat)\necho "$input" >> ${log}\necho '{"clustername": "node"}'\n`,
  );
  await Deno.chmod(program, 0o755);
  const env = testEnv({
    vars: {
      [CPUINFO_ENV]: `${FIXTURES}ibm-power9-powernv.txt`,
      [MACHINE_ENV]: "ppc64le",
      PATH: binWith(["sbatch"]),
      SYS_TYPE: "toss_4",
    },
  });
  const s = site([spec("batch", "batch"), spec("shell", "shell")]);
  const host = await gatherHostFacts({
    env,
    site: s,
    tagSchemaFile: EXAMPLE_SCHEMA,
    captureTagsProgram: program,
  });
  const calls = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(calls.map((c) => c.executor_file).sort(), ["batch", "shell"]);
  const batchInput = calls.find((c) => c.executor_file === "batch");
  assertEquals(batchInput.env_tags, { SYS_TYPE: "toss_4" });
  assertEquals(batchInput.properties.os, "toss_4");
  assertEquals(batchInput.properties.scheduler, "slurm");
  const { runners } = desiredRunners(s, host);
  assertEquals(runners.map((r) => r.tags), [
    ["test-host", "main", "batch", "toss_4", "ppc64le", "power9le", "power8le", "slurm", "node"],
    ["test-host", "main", "shell", "toss_4", "ppc64le", "power9le", "power8le", "node"],
  ]);
});

Deno.test("gatherHostFacts: a bad schema or capture program is an InputError", async () => {
  await rejects(
    gatherHostFacts({ env: testEnv({ vars: { PATH: "" } }), tagSchemaFile: "/nonexistent.json" }),
    (error) => error instanceof InputError && /tag schema/.test(error.message),
  );
  const program = `${binWith([])}/capture`;
  await Deno.writeTextFile(program, "#!/bin/sh\necho oops >&2\nexit 2\n");
  await Deno.chmod(program, 0o755);
  await rejects(
    gatherHostFacts({
      env: testEnv({ vars: { PATH: "" } }),
      site: site([spec("shell", "shell")]),
      captureTagsProgram: program,
    }),
    (error) => {
      ok(error instanceof InputError);
      match(error.message, /exited with status 2; the end of its stderr:\noops$/);
      return true;
    },
  );
});
