import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { detectCpu } from "../facts/cpu.ts";
import { buildProperties, flattenProperties, mergeCaptured } from "./properties.ts";

const FIXTURES = new URL("../../../tests/fixtures/cpuinfo/", import.meta.url);
const rome = detectCpu({
  cpuinfo: Deno.readTextFileSync(new URL("amd-epyc-7742-rome.txt", FIXTURES)),
  machine: "x86_64",
});
const base = { hostname: "node7", instance: "main", executor: "batch", envValues: ["toss_4"] };

Deno.test("buildProperties: identity and env only when no fact is wanted", () => {
  assertEquals(buildProperties({ ...base, facts: [], cpu: rome, scheduler: "slurm" }), {
    hostname: "node7",
    instance: "main",
    executor_type: "batch",
    env: ["toss_4"],
  });
});

Deno.test("buildProperties: the CPU and scheduler facts under the Python tool's names", () => {
  const all = buildProperties({
    ...base,
    facts: ["architecture", "microarchitecture", "microarchitecture_ancestors", "scheduler"],
    cpu: rome,
    scheduler: "slurm",
  });
  assertEquals(all.architecture, "x86_64");
  assertEquals(all["micro-architecture"], ["zen2", "zen", "x86_64_v3", "x86_64_v2", "x86_64"]);
  assertEquals(all.scheduler, "slurm");
  const nameOnly = buildProperties({ ...base, facts: ["microarchitecture"], cpu: rome });
  assertEquals(nameOnly["micro-architecture"], ["zen2"]);
  const ancestors = buildProperties({ ...base, facts: ["microarchitecture_ancestors"], cpu: rome });
  assertEquals(ancestors["micro-architecture"], ["zen", "x86_64_v3", "x86_64_v2", "x86_64"]);
  const noScheduler = buildProperties({ ...base, facts: ["scheduler"], cpu: rome });
  assertEquals("scheduler" in noScheduler, false);
});

Deno.test("buildProperties: with a schema, env values fill enum properties, others go to custom", () => {
  const properties = buildProperties({
    ...base,
    envValues: ["toss_4", "aarch64", "ib", "ppc64le"],
    facts: ["architecture"],
    cpu: rome,
    classifier: {
      enums: [
        { property: "os", values: ["toss_4", "rhel8"] },
        { property: "architecture", values: ["x86_64", "aarch64", "ppc64le"] },
        { property: "executor_type", values: ["ib"] },
      ],
      customName: "site",
    },
  });
  // A later value wins, as in the Python tool; identity properties are never reclassified.
  assertEquals(properties.architecture, "ppc64le");
  assertEquals(properties.os, "toss_4");
  assertEquals(properties.executor_type, "batch");
  assertEquals(properties.custom, ["site_ib"]);
  assertEquals(properties.env, ["toss_4", "aarch64", "ib", "ppc64le"]);
});

Deno.test("mergeCaptured: replaces in place, appends new keys, null removes", () => {
  const merged = mergeCaptured(
    { hostname: "h", scheduler: "flux", env: [] },
    { scheduler: "slurm", gpu: "nvidia", env: null },
  );
  assertEquals(merged, { hostname: "h", scheduler: "slurm", gpu: "nvidia" });
  assertEquals(Object.keys(merged), ["hostname", "scheduler", "gpu"]);
});

Deno.test("flattenProperties: every leaf in order; booleans and nulls are not tags", () => {
  const { values, skipped } = flattenProperties({
    a: " x ",
    b: ["y", ["z", 3]],
    c: { d: "w", e: true, f: null },
  });
  assertEquals(values.map((v) => v.value), ["x", "y", "z", "3", "w"]);
  assertEquals(values.map((v) => v.path), ["a", "b[0]", "b[1][0]", "b[1][1]", "c.d"]);
  assertEquals(skipped.map((s) => s.path), ["c.e", "c.f"]);
});
