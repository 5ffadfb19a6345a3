import { deepEqual as assertEquals } from "node:assert/strict";
import { desiredRunners, executorTags, isOwnedDescription } from "./desired.ts";
import type { ExecutorSpec, Site } from "./model.ts";

function spec(key: string, executor: string, extra: Partial<ExecutorSpec> = {}): ExecutorSpec {
  return {
    key,
    file: `/p/main/${key}.toml`,
    clientKey: "https://gitlab.example.com",
    executor,
    envTags: [],
    extraTags: [],
    attributes: { run_untagged: false, locked: false, paused: false },
    runnerKeys: {},
    ...extra,
  };
}

function site(executors: ExecutorSpec[]): Site {
  return {
    prefix: "/p",
    instance: "main",
    templateFile: "/p/config.template.main.toml",
    executorDir: "/p/main",
    outputFile: "/p/config.main.toml",
    globals: {},
    clients: [],
    executors,
  };
}

const env = (vars: Record<string, string>) => ({
  hostname: "node7",
  getEnv: (n: string) => vars[n],
});

Deno.test("tags: host, instance, executor, env values present, extras; deduplicated in order", () => {
  const s = spec("shell", "shell", {
    envTags: ["SYS_TYPE", "MISSING", "EMPTY"],
    extraTags: ["gpu", "node7", " shell "],
  });
  const { tags, warnings } = executorTags(s, "main", env({ SYS_TYPE: "toss_4", EMPTY: "  " }));
  assertEquals(tags, ["node7", "main", "shell", "toss_4", "gpu"]);
  assertEquals(warnings, []);
});

Deno.test("tags: an env value with a comma is skipped with a warning", () => {
  const s = spec("shell", "shell", { envTags: ["BAD"] });
  const { tags, warnings } = executorTags(s, "main", env({ BAD: "a,b" }));
  assertEquals(tags, ["node7", "main", "shell"]);
  assertEquals(warnings.length, 1);
});

Deno.test("descriptions: the Python tool's form when the executor type is unique", () => {
  const { runners } = desiredRunners(site([spec("shell", "shell"), spec("b", "custom")]), env({}));
  assertEquals(runners.map((r) => r.description), [
    "node7 main custom Runner",
    "node7 main shell Runner",
  ]);
  assertEquals(runners[1]!.formerDescriptions, ["node7 main shell shell Runner"]);
});

Deno.test("descriptions: per-file form when two files share an executor type", () => {
  const { runners } = desiredRunners(site([spec("gpu", "docker"), spec("cpu", "docker")]), env({}));
  assertEquals(runners.map((r) => r.description), [
    "node7 main docker cpu Runner",
    "node7 main docker gpu Runner",
  ]);
  assertEquals(runners[0]!.formerDescriptions, ["node7 main docker Runner"]);
});

Deno.test("ownership: only this host's and instance's descriptions", () => {
  assertEquals(isOwnedDescription("node7 main shell Runner", "node7", "main"), true);
  assertEquals(isOwnedDescription("node7 main docker cpu Runner", "node7", "main"), true);
  assertEquals(isOwnedDescription("node7 other shell Runner", "node7", "main"), false);
  assertEquals(isOwnedDescription("node77 main shell Runner", "node7", "main"), false);
  assertEquals(isOwnedDescription("node7 main Runner", "node7", "main"), false);
  assertEquals(isOwnedDescription("node7 main shell runner", "node7", "main"), false);
});
