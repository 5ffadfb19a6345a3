import { deepEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  asGitLabStoresIt,
  describesOtherOwner,
  desiredRunners,
  executorTags,
  type HostFacts,
  isOwnedDescription,
  quarantinedType,
} from "./runners.ts";
import { detectCpu } from "./facts/cpu.ts";
import { InputErrors } from "../inputs/problems.ts";
import type { ExecutorSpec } from "../kernel/model.ts";
import { executorSpec, siteOf } from "../../tests/support/fixtures.ts";
import type { TagSchema } from "./tags/schema.ts";

const spec = executorSpec;
const site = siteOf;

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

const FIXTURES = new URL("../../tests/fixtures/cpuinfo/", import.meta.url);
const milan = detectCpu({
  cpuinfo: Deno.readTextFileSync(new URL("amd-epyc-7413-milan.txt", FIXTURES)),
  machine: "x86_64",
});
const facts = (extra: Partial<HostFacts> = {}): HostFacts => ({
  hostname: "node7",
  getEnv: (n: string) => ({ SYS_TYPE: "toss_4", SITE: "ib" } as Record<string, string>)[n],
  cpu: milan,
  scheduler: "slurm",
  ...extra,
});

Deno.test("tags: facts are opt-in, so an upgraded host's tags do not change", () => {
  const s = spec("batch", "batch", { envTags: ["SYS_TYPE"], extraTags: ["x"] });
  assertEquals(executorTags(s, "main", facts()).tags, ["node7", "main", "batch", "toss_4", "x"]);
  const all: ExecutorSpec = { ...s, facts: true };
  assertEquals(executorTags(all, "main", facts()).tags, [
    "node7",
    "main",
    "batch",
    "toss_4",
    "x86_64",
    "zen3",
    "zen2",
    "zen",
    "x86_64_v3",
    "x86_64_v2",
    "slurm",
    "x",
  ]);
  const some: ExecutorSpec = { ...s, facts: ["microarchitecture"] };
  assertEquals(executorTags(some, "main", facts()).tags, [
    "node7",
    "main",
    "batch",
    "toss_4",
    "zen3",
    "x",
  ]);
});

Deno.test("tags: a wanted fact the host cannot give is a warning, not a tag", () => {
  const s = spec("batch", "batch", { facts: true });
  const host = facts({
    cpu: { architecture: "x86_64", microarchitecture: "x86_64", ancestors: [] },
    cpuProblem: "no read permission for /proc/cpuinfo",
  });
  delete host.scheduler;
  const { tags, warnings } = executorTags(s, "main", host);
  assertEquals(tags, ["node7", "main", "batch", "x86_64"]);
  assertEquals(warnings.length, 2);
});

Deno.test("tags: a capture program's output is merged before flattening; null removes", () => {
  const s = spec("batch", "batch", { envTags: ["SYS_TYPE"], facts: ["scheduler"] });
  const host = facts({
    captureProgram: "/bin/capture",
    captured: new Map([["batch", { scheduler: "flux", env: null, gpu: ["nvidia", 2], ok: true }]]),
  });
  const { tags, warnings } = executorTags(s as ExecutorSpec, "main", host);
  assertEquals(tags, ["node7", "main", "batch", "flux", "nvidia", "2"]);
  assertEquals(warnings, ["/p/main/batch.toml: tag property ok is true, not a tag; skipped"]);
  throws(() => executorTags(spec("other", "shell"), "main", host), /no --capture-tags output/);
});

Deno.test("desiredRunners: schema failures of every executor are reported together", () => {
  const schema: TagSchema = {
    file: "/etc/tag_schema.json",
    properties: ["os"],
    enums: [{ property: "os", values: ["toss_4"] }],
    customName: "custom",
    warnings: ["tag schema /etc/tag_schema.json: unknown keyword"],
    validate: (p) => (p.executor_type === "shell" ? [] : [`bad ${String(p.executor_type)}`]),
  };
  const host = facts({ schema });
  const valid = desiredRunners(
    site([spec("shell", "shell", { envTags: ["SYS_TYPE", "SITE"] })]),
    host,
  );
  assertEquals(valid.runners[0]!.tags, ["node7", "main", "shell", "toss_4", "ib", "custom_ib"]);
  assertEquals(valid.warnings, ["tag schema /etc/tag_schema.json: unknown keyword"]);
  throws(
    () => desiredRunners(site([spec("a", "docker"), spec("b", "batch"), spec("c", "shell")]), host),
    (error: unknown) => {
      ok(error instanceof InputErrors);
      assertEquals(error.problems.map((p) => p.message), [
        "/p/main/a.toml: the tag properties do not satisfy the tag schema /etc/tag_schema.json:\n  - bad docker",
        "/p/main/b.toml: the tag properties do not satisfy the tag schema /etc/tag_schema.json:\n  - bad batch",
      ]);
      return true;
    },
  );
});

Deno.test("tags: quoted and padded tags as GitLab's parser stores them, so they converge", () => {
  assertEquals(asGitLabStoresIt(` "rack 12" `), "rack 12");
  assertEquals(asGitLabStoresIt("'gpu'"), "gpu");
  assertEquals(asGitLabStoresIt(`a"b`), `a"b`);
  assertEquals(asGitLabStoresIt(`" x "`), "x");
  const s = spec("shell", "shell", { extraTags: [`"gpu"`, "gpu", "'ib'"] });
  assertEquals(executorTags(s, "main", env({})).tags, ["node7", "main", "shell", "gpu", "ib"]);
});

Deno.test("tags: more than 50 is refused before any request, naming the file and the rule", () => {
  const extra = Array.from({ length: 48 }, (_, i) => `t${i}`);
  const ok50 = spec("shell", "shell", { extraTags: extra.slice(0, 47) });
  assertEquals(executorTags(ok50, "main", env({})).tags.length, 50);
  const s = spec("shell", "shell", { extraTags: extra });
  throws(() => executorTags(s, "main", env({})), (e: Error) => {
    ok(
      /shell\.toml: the runner would have 51 tags; GitLab allows at most 50/.test(e.message),
      e.message,
    );
    return true;
  });
});

Deno.test("describesOtherOwner: another host's or instance's register-runner form, nothing else", () => {
  const other = (d: string) => describesOtherOwner(d, "node7", "main");
  assertEquals(other("node8 main shell Runner"), { hostname: "node8", instance: "main" });
  assertEquals(other("node7 gpu docker cuda Runner"), { hostname: "node7", instance: "gpu" });
  assertEquals(other("node8 main my-executor Runner"), { hostname: "node8", instance: "main" });
  for (
    const d of [
      "node7 main shell Runner", // ours
      "node7 main shell ci Runner", // ours
      "my runner", // a rename in the UI
      "node8 main Runner",
      "build box for team x Runner",
      "node8 main shell runner",
      "node8 main shell Runner ",
      "node8 main shell Runner extra",
    ]
  ) {
    assertEquals(other(d), undefined, d);
  }
  // This host's own name may have blanks; its descriptions are never another's.
  assertEquals(describesOtherOwner("my host main shell Runner", "my host", "main"), undefined);
});

Deno.test("quarantinedType: from a section's per-file name, or the record's description (single form too)", () => {
  assertEquals(quarantinedType("ci", ["node7 main shell ci Runner"], "node7", "main"), "shell");
  assertEquals(quarantinedType("ci", ["node7 main shell Runner"], "node7", "main"), undefined);
  assertEquals(
    quarantinedType("ci", [], "node7", "main", ["node7 main shell Runner"]),
    "shell",
  );
  assertEquals(
    quarantinedType("ci", [], "node7", "main", ["node7 main docker ci Runner"]),
    "docker",
  );
  assertEquals(
    quarantinedType("ci", [], "node7", "main", ["node7 main docker gpu Runner"]),
    undefined,
  );
});
