import { deepEqual, deepEqual as assertEquals } from "node:assert/strict";
import type {
  DesiredRunner,
  LocalRunner,
  Observation,
  ObservedRunner,
  TokenCheck,
} from "../kernel/model.ts";
import { type ClientPlan, isNoop, planClient } from "./planner.ts";
import { Secret } from "../kernel/secret.ts";

const URL_KEY = "https://gitlab.example.com";

function desired(
  key: string,
  description: string,
  extra: Partial<DesiredRunner> = {},
): DesiredRunner {
  return {
    key,
    clientKey: URL_KEY,
    description,
    formerDescriptions: [],
    tags: ["node7", "main", key],
    attributes: { run_untagged: false, locked: false, paused: false },
    executor: key,
    runnerKeys: {},
    ...extra,
  };
}

function observed(
  id: number,
  description: string,
  tags: string[],
  extra: Partial<ObservedRunner> = {},
): ObservedRunner {
  return {
    id,
    description,
    tags,
    attributes: {
      run_untagged: false,
      locked: false,
      paused: false,
      access_level: "not_protected",
      maximum_timeout: null,
      maintenance_note: null,
    },
    ...extra,
  };
}

function local(index: number, name: string, token: string, id?: number): LocalRunner {
  return {
    index,
    name,
    url: URL_KEY,
    token: { token: new Secret(token), obtainedAt: undefined, expiresAt: undefined },
    ...(id === undefined ? {} : { id }),
  };
}

function observation(
  owned: ObservedRunner[] | undefined,
  checks: [number, TokenCheck][] = [],
): Observation {
  return { clientKey: URL_KEY, tokenChecks: new Map(checks), ...(owned ? { owned } : {}) };
}

const SHELL = desired("shell", "node7 main shell Runner");
const DOCKER = desired("docker", "node7 main docker Runner");
const PAT = { personalAccessToken: true, registrationToken: false };

function summary(plan: ClientPlan) {
  return {
    steps: plan.steps.map((s) => [s.desired.key, s.action, "method" in s ? s.method : undefined]),
    deletions: plan.deletions.map((d) => [d.by === "id" ? d.runnerId : d.localIndex, d.reason]),
  };
}

Deno.test("first sync: everything is registered with the PAT", () => {
  const plan = planClient({
    desired: [SHELL, DOCKER],
    local: [],
    observation: observation([]),
    credentials: PAT,
  });
  assertEquals(summary(plan), {
    steps: [["shell", "register", undefined], ["docker", "register", undefined]],
    deletions: [],
  });
  assertEquals(plan.steps.every((s) => s.action === "register" && s.via === "pat"), true);
});

Deno.test("restart with valid tokens and no drift is a no-op", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [local(0, SHELL.description, "glrt-fake-1", 11)],
    observation: observation([observed(11, SHELL.description, SHELL.tags)], [[0, {
      status: "valid",
      runnerId: 11,
    }]]),
    credentials: PAT,
  });
  assertEquals(summary(plan), { steps: [["shell", "keep", undefined]], deletions: [] });
  assertEquals(isNoop(plan), true);
});

Deno.test("a kept token goes on with the expiry verify reported, else the local one", () => {
  const times = { obtainedAt: "2026-01-01T00:00:00Z", expiresAt: "2026-02-01T00:00:00Z" };
  const kept = (reported: TokenCheck, owned: ObservedRunner[] | undefined) => {
    const l = local(0, SHELL.description, "glrt-fake-1", 11);
    l.token = { ...l.token!, ...times };
    const plan = planClient({
      desired: [SHELL],
      local: [l],
      observation: observation(owned, [[0, reported]]),
      credentials: owned ? PAT : { personalAccessToken: false, registrationToken: true },
    });
    const step = plan.steps[0]!;
    if (step.action !== "keep") throw new Error(`expected keep, got ${step.action}`);
    return [step.token.token.reveal(), step.token.obtainedAt, step.token.expiresAt];
  };
  for (const owned of [[observed(11, SHELL.description, SHELL.tags)], undefined]) {
    deepEqual(kept({ status: "valid", runnerId: 11 }, owned), [
      "glrt-fake-1",
      times.obtainedAt,
      times.expiresAt,
    ]);
    const later = { expiresAt: "2026-03-01T00:00:00Z" };
    deepEqual(kept({ status: "valid", runnerId: 11, reported: later }, owned), [
      "glrt-fake-1",
      times.obtainedAt,
      later.expiresAt,
    ]);
    // GitLab said the token never expires: that replaces the local expiry.
    const never = { expiresAt: undefined };
    deepEqual(kept({ status: "valid", runnerId: 11, reported: never }, owned), [
      "glrt-fake-1",
      times.obtainedAt,
      undefined,
    ]);
  }
});

Deno.test("executor removed: its runner is deleted; another host's runner is not listed as owned", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [
      local(0, SHELL.description, "glrt-fake-1", 11),
      local(1, DOCKER.description, "glrt-fake-2", 12),
    ],
    observation: observation(
      [observed(11, SHELL.description, SHELL.tags), observed(12, DOCKER.description, DOCKER.tags)],
      [[0, { status: "valid", runnerId: 11 }]],
    ),
    credentials: PAT,
  });
  assertEquals(summary(plan), {
    steps: [["shell", "keep", undefined]],
    deletions: [[12, "no executor file"]],
  });
});

Deno.test("local config lost: the runner is recovered in place by reset, not registered", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [],
    observation: observation([observed(11, SHELL.description, SHELL.tags)]),
    credentials: PAT,
  });
  assertEquals(summary(plan), { steps: [["shell", "restore", "reset"]], deletions: [] });
});

Deno.test("local config lost on patched GitLab: the token is read back", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [],
    observation: observation([
      observed(11, SHELL.description, SHELL.tags, { token: new Secret("glrt-fake-9") }),
    ]),
    credentials: PAT,
  });
  assertEquals(summary(plan), { steps: [["shell", "restore", "read"]], deletions: [] });
});

Deno.test("revoked token: reset in place, same runner id", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [local(0, SHELL.description, "glrt-fake-1", 11)],
    observation: observation([observed(11, SHELL.description, SHELL.tags)], [[0, {
      status: "invalid",
    }]]),
    credentials: PAT,
  });
  const step = plan.steps[0]!;
  assertEquals(step.action === "restore" && step.runnerId === 11 && step.method === "reset", true);
});

Deno.test("duplicates left by the Python tool: the verified one is kept, the others deleted", () => {
  const tags = ["node7", "shell", "main"];
  const plan = planClient({
    desired: [SHELL],
    local: [{
      index: 0,
      name: SHELL.description,
      url: URL_KEY,
      token: { token: new Secret("legacy-fake-2"), obtainedAt: undefined, expiresAt: undefined },
    }],
    observation: observation(
      [
        observed(5, SHELL.description, tags),
        observed(6, SHELL.description, tags),
        observed(7, SHELL.description, tags),
      ],
      [[0, { status: "valid", runnerId: 6 }]],
    ),
    credentials: PAT,
  });
  assertEquals(summary(plan), {
    steps: [["shell", "keep", undefined]],
    deletions: [[5, "duplicate"], [7, "duplicate"]],
  });
  const keep = plan.steps[0]!;
  assertEquals(keep.action === "keep" && keep.runnerId === 6, true);
});

Deno.test("old GitLab (verify without id) with duplicates: token ownership unproven, so reset the oldest", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [{
      index: 0,
      name: SHELL.description,
      url: URL_KEY,
      token: { token: new Secret("legacy-fake-2"), obtainedAt: undefined, expiresAt: undefined },
    }],
    observation: observation(
      [observed(5, SHELL.description, SHELL.tags), observed(6, SHELL.description, SHELL.tags)],
      [[0, { status: "valid" }]],
    ),
    credentials: PAT,
  });
  assertEquals(summary(plan), {
    steps: [["shell", "restore", "reset"]],
    deletions: [[6, "duplicate"]],
  });
});

Deno.test("drifted tags and attributes are updated in place", () => {
  const d = desired("shell", SHELL.description, {
    tags: ["node7", "main", "shell", "gpu"],
    attributes: { run_untagged: false, locked: true, paused: false, maximum_timeout: 3600 },
  });
  const plan = planClient({
    desired: [d],
    local: [local(0, d.description, "glrt-fake-1", 11)],
    observation: observation([observed(11, d.description, ["node7", "main", "shell"])], [[0, {
      status: "valid",
      runnerId: 11,
    }]]),
    credentials: PAT,
  });
  const step = plan.steps[0]!;
  assertEquals(step.action, "keep");
  deepEqual(step.action === "keep" ? step.update : undefined, {
    tag_list: [["node7", "main", "shell"], ["node7", "main", "shell", "gpu"]],
    locked: [false, true],
    maximum_timeout: [null, 3600],
  });
  assertEquals(isNoop(plan), false);
});

Deno.test("a second docker file: the existing runner is adopted by its former description and renamed", () => {
  const cpu = desired("cpu", "node7 main docker cpu Runner", {
    formerDescriptions: ["node7 main docker Runner"],
  });
  const gpu = desired("gpu", "node7 main docker gpu Runner", {
    formerDescriptions: ["node7 main docker Runner"],
  });
  const plan = planClient({
    desired: [cpu, gpu],
    local: [local(0, "node7 main docker Runner", "glrt-fake-1", 11)],
    observation: observation([observed(11, "node7 main docker Runner", cpu.tags)], [[0, {
      status: "valid",
      runnerId: 11,
    }]]),
    credentials: PAT,
  });
  assertEquals(summary(plan), {
    steps: [["cpu", "keep", undefined], ["gpu", "register", undefined]],
    deletions: [],
  });
  const keep = plan.steps[0]!;
  deepEqual(keep.action === "keep" ? keep.update?.description : undefined, [
    "node7 main docker Runner",
    "node7 main docker cpu Runner",
  ]);
});

Deno.test("a runner deleted in GitLab while its token is still local is registered again", () => {
  const plan = planClient({
    desired: [SHELL],
    local: [local(0, SHELL.description, "glrt-fake-1", 11)],
    observation: observation([], [[0, { status: "invalid" }]]),
    credentials: PAT,
  });
  assertEquals(summary(plan), { steps: [["shell", "register", undefined]], deletions: [] });
});

Deno.test("registration token only: keep valid tokens, register the rest, delete removed ones by token", () => {
  const plan = planClient({
    desired: [SHELL, DOCKER],
    local: [
      local(0, SHELL.description, "legacy-fake-1"),
      local(1, "node7 main batch Runner", "legacy-fake-3"),
    ],
    observation: observation(undefined, [[0, { status: "valid" }], [1, { status: "valid" }]]),
    credentials: { personalAccessToken: false, registrationToken: true },
  });
  assertEquals(summary(plan), {
    steps: [["shell", "keep", undefined], ["docker", "register", undefined]],
    deletions: [[1, "no executor file"]],
  });
  assertEquals(
    plan.steps[1]!.action === "register" && plan.steps[1]!.via === "registration-token",
    true,
  );
});

// The ownership record: file → runner id, ahead of the description rules.

const shellFile = (key: string) =>
  desired(key, `node7 main shell ${key} Runner`, {
    executor: "shell",
    formerDescriptions: ["node7 main shell Runner"],
  });

Deno.test("the record keeps a runner with its file when a file sorting before it is added", () => {
  const owned = [observed(5, "node7 main shell Runner", ["node7", "main", "shell"])];
  const input = {
    desired: [shellFile("aaa"), shellFile("build")],
    local: [local(0, "node7 main shell Runner", "glrt-a", 5)],
    observation: observation(owned, [[0, { status: "valid", runnerId: 5 }]]),
    credentials: PAT,
  };
  const withRecord = planClient({
    ...input,
    record: [{ clientKey: URL_KEY, key: "build", id: 5, description: "node7 main shell Runner" }],
  });
  deepEqual(summary(withRecord).steps, [
    ["aaa", "register", undefined],
    ["build", "keep", undefined],
  ]);
  deepEqual(withRecord.warnings, []);
  // Without a record the description rules give it to the first by name, loudly.
  const fallback = planClient(input);
  deepEqual(summary(fallback).steps, [["aaa", "keep", undefined], [
    "build",
    "register",
    undefined,
  ]]);
  deepEqual(fallback.warnings.filter((w) => w.startsWith("AMBIGUOUS")).length, 1);
});

Deno.test("a runner recorded for a file that is gone moves only with a MOVE warning and movedFrom", () => {
  const owned = [observed(5, "node7 main shell Runner", ["node7", "main", "shell"])];
  const plan = planClient({
    desired: [desired("shell", "node7 main shell Runner")],
    local: [local(0, "node7 main shell Runner", "glrt-a", 5)],
    observation: observation(owned, [[0, { status: "valid", runnerId: 5 }]]),
    credentials: PAT,
    record: [{ clientKey: URL_KEY, key: "build", id: 5, description: "node7 main shell Runner" }],
  });
  const [step] = plan.steps;
  deepEqual([step!.action, step!.action === "keep" ? step!.movedFrom : undefined], [
    "keep",
    "build",
  ]);
  deepEqual(plan.warnings.filter((w) => w.startsWith("MOVE:")).length, 1);
});

Deno.test("a runner recorded for a file that exists but is not planned (quarantined) stays reserved", () => {
  const owned = [observed(5, "node7 main shell Runner", ["node7", "main", "shell"])];
  const input = {
    desired: [shellFile("build")],
    local: [],
    observation: observation(owned, []),
    credentials: PAT,
    record: [{ clientKey: URL_KEY, key: "ci", id: 5, description: "node7 main shell Runner" }],
  };
  // Without the reservation build.toml would take ci.toml's runner over (a MOVE).
  deepEqual(summary(planClient(input)).steps, [["build", "restore", "reset"]]);
  const plan = planClient({ ...input, reservedKeys: ["ci"] });
  deepEqual(summary(plan), { steps: [["build", "register", undefined]], deletions: [] });
  deepEqual(plan.warnings.filter((w) => w.startsWith("MOVE:")), []);
});

Deno.test("a local entry whose runner is another host's takes part in nothing, with a warning", () => {
  const plan = planClient({
    desired: [desired("shell", "node7 main shell Runner")],
    local: [local(0, "node8 main shell Runner", "glrt-a", 5)],
    observation: {
      ...observation([], [[0, { status: "valid", runnerId: 5 }]]),
      foreign: new Map([[0, {
        id: 5,
        description: "node8 main shell Runner",
        from: "gitlab" as const,
        owner: { hostname: "node8", instance: "main" },
      }]]),
    },
    credentials: PAT,
  });
  deepEqual(summary(plan), { steps: [["shell", "register", undefined]], deletions: [] });
  deepEqual(plan.warnings.length, 1);
});

Deno.test("a listing that contradicts a verified token holds registrations and deletions", () => {
  const owned = [
    observed(5, "node7 main shell a Runner", ["node7", "main", "shell"], { provenByToken: true }),
    observed(6, "node7 main shell a Runner", ["node7", "main", "shell"]),
  ];
  const plan = planClient({
    desired: [shellFile("a"), shellFile("b")],
    local: [local(0, "node7 main shell a Runner", "glrt-a", 5)],
    observation: {
      ...observation(owned, [[0, { status: "valid", runnerId: 5 }]]),
      listingContradicted: [5],
    },
    credentials: PAT,
  });
  deepEqual(summary(plan), { steps: [["a", "keep", undefined]], deletions: [] });
  deepEqual(plan.heldByListing, ["b"]);
  deepEqual(plan.warnings.length, 1);
});
