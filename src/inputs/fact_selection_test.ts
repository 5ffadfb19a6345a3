import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { factsFor, parseFactSelection } from "./fact_selection.ts";

Deno.test("parseFactSelection: booleans, lists (deduplicated), and each bad item", () => {
  assertEquals(parseFactSelection(true), { selection: true });
  assertEquals(parseFactSelection(false), { selection: false });
  assertEquals(parseFactSelection(["scheduler", "architecture", "scheduler"]), {
    selection: ["scheduler", "architecture"],
  });
  assertEquals(parseFactSelection([]), { selection: [] });
  assertEquals("problems" in parseFactSelection("all"), true);
  const bad = parseFactSelection(["architecture", "cpu", 3]);
  assertEquals("problems" in bad && bad.problems.map((p) => p.index), [1, 2]);
});

Deno.test("factsFor: unset means none without a schema, so upgraded hosts keep their tags", () => {
  assertEquals(factsFor(undefined, "shell"), []);
  assertEquals(factsFor(undefined, "batch"), []);
  assertEquals(factsFor(false, "batch", ["architecture", "scheduler"]), []);
});

Deno.test("factsFor: true gives everything, the scheduler only for batch-style executors", () => {
  const cpu = ["architecture", "microarchitecture", "microarchitecture_ancestors"];
  assertEquals(factsFor(true, "shell"), cpu);
  assertEquals(factsFor(true, "docker"), cpu);
  assertEquals(factsFor(true, "batch"), [...cpu, "scheduler"]);
  assertEquals(factsFor(true, "custom"), [...cpu, "scheduler"]);
});

Deno.test("factsFor: an explicit list is taken as written, on any executor", () => {
  assertEquals(factsFor(["scheduler"], "shell"), ["scheduler"]);
  assertEquals(factsFor(["microarchitecture"], "batch", ["scheduler"]), ["microarchitecture"]);
});

Deno.test("factsFor: unset with a schema gives the facts whose property it declares", () => {
  assertEquals(factsFor(undefined, "shell", ["hostname", "os"]), []);
  assertEquals(factsFor(undefined, "shell", ["architecture", "scheduler"]), ["architecture"]);
  assertEquals(factsFor(undefined, "batch", ["micro-architecture", "scheduler"]), [
    "microarchitecture",
    "microarchitecture_ancestors",
    "scheduler",
  ]);
});
