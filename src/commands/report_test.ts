/**
 * Exact renderings of plan steps and deletions: `sync`'s report lines, `plan`'s table and both
 * commands' `--output json` steps, for every kind of step. These are byte-for-byte contracts.
 */
import { equal } from "node:assert/strict";
import { GitLabUnreachableError, InputError } from "../kernel/errors.ts";
import type { DesiredRunner, LocalRunner } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import type { RunnerResult } from "../reconcile/apply.ts";
import type { RunnerStep } from "../reconcile/planner.ts";
import type { QuarantinePlan } from "../reconcile/quarantine.ts";
import { planDocument, syncDocument } from "./documents.ts";
import type { PlanReport } from "./plan.ts";
import {
  formatError,
  formatPlanReport,
  formatSyncReport,
  located,
  unreachableWarning,
} from "./report.ts";
import type { SyncReport } from "./sync.ts";

const URL_A = "https://gitlab.example.com";
const URL_B = "https://down.example.com";
const URL_C = "https://empty.example.com";

function desired(key: string): DesiredRunner {
  return {
    key,
    clientKey: "a",
    description: `node7 main ${key} Runner`,
    formerDescriptions: [],
    tags: ["node7", "main", key],
    attributes: { run_untagged: false, locked: false, paused: false },
    executor: key,
    runnerKeys: {},
  };
}

const local = (index: number, id?: number): LocalRunner => ({
  index,
  ...(id === undefined ? {} : { id }),
  token: { token: new Secret(`glrt-fake-${index}`), obtainedAt: undefined, expiresAt: undefined },
});

/** A keep step's local entry and the token it keeps. */
const kept = (l: LocalRunner) => ({ local: l, token: l.token! });

const STEPS: RunnerStep[] = [
  { action: "keep", desired: desired("shell"), runnerId: 11, ...kept(local(0, 11)) },
  {
    action: "keep",
    desired: desired("docker"),
    runnerId: 12,
    ...kept(local(1, 12)),
    update: { tag_list: [["node7"], ["node7", "main", "docker"]], locked: [false, true] },
  },
  { action: "keep", desired: desired("noid"), runnerId: undefined, ...kept(local(2)) },
  {
    action: "restore",
    desired: desired("custom"),
    runnerId: 14,
    method: "reset",
    reason: "local token rejected by GitLab",
    update: { maximum_timeout: [null, 3600] },
  },
  {
    action: "restore",
    desired: desired("batch"),
    runnerId: 15,
    method: "read",
    reason: "no local token",
  },
  { action: "register", desired: desired("gpu"), via: "pat", reason: "no runner yet" },
];

const PLAN: QuarantinePlan = {
  held: [],
  clientKey: "a",
  steps: STEPS,
  deletions: [
    { by: "id", runnerId: 21, description: "node7 main old Runner", reason: "no executor file" },
    {
      by: "token",
      token: new Secret("glrt-fake-del"),
      localIndex: 3,
      description: "runner #3",
      reason: "no executor file",
    },
  ],
  warnings: [],
  heldByListing: [],
};

const EMPTY: QuarantinePlan = {
  clientKey: "c",
  steps: [],
  deletions: [],
  warnings: [],
  held: [],
  heldByListing: [],
};

const unreachable = () =>
  new GitLabUnreachableError(
    { baseUrl: URL_B, method: "GET", path: "/runners/all" },
    "timed out",
    undefined,
  );

/** What sync got back per step: restore "read" was replaced by a new runner #30. */
const OUTCOME_IDS: (number | undefined)[] = [11, 12, undefined, 14, 30, 31];

function result(step: RunnerStep, id: number | undefined): RunnerResult {
  return {
    desired: step.desired,
    // Restore "read" of batch was replaced: a new runner (#30) was registered.
    action: step.action === "keep"
      ? "kept"
      : step.action === "restore" && id !== 30
      ? "restored"
      : "registered",
    id,
    token: { token: new Secret("glrt-fake-result"), obtainedAt: undefined, expiresAt: undefined },
  };
}

const SYNC: SyncReport = {
  outputFile: "/etc/gitlab-runner/config.main.toml",
  clients: [
    {
      url: URL_A,
      status: "synced",
      plan: PLAN,
      outcome: {
        clientKey: "a",
        runners: STEPS.map((s, i) => result(s, OUTCOME_IDS[i])),
        deleted: PLAN.deletions,
        refused: [],
      },
    },
    { url: URL_B, status: "unreachable", error: unreachable(), kept: 2 },
    {
      url: URL_C,
      status: "synced",
      plan: EMPTY,
      outcome: { clientKey: "c", runners: [], deleted: [], refused: [] },
    },
  ],
  config: "written",
  warnings: [],
  quarantined: [],
};

const PLANNED: PlanReport = {
  outputFile: "/etc/gitlab-runner/config.main.toml",
  clients: [
    { url: URL_A, status: "planned", plan: PLAN },
    { url: URL_B, status: "unreachable", error: unreachable() },
    { url: URL_C, status: "planned", plan: EMPTY },
  ],
  config: "would-change",
  diff: "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n",
  gitlabChanges: true,
  warnings: [],
  exitCode: 5,
  quarantined: [],
};

const CTX = { prefix: "/etc/gitlab-runner", instance: "main" };

Deno.test("sync's report: one line per step and deletion", () => {
  equal(formatSyncReport(SYNC), SYNC_TEXT);
});

Deno.test("plan's report: a table per GitLab, then the diff and the verdict", () => {
  equal(formatPlanReport(PLANNED), PLAN_TEXT);
});

/** The JSON text, so that field order counts too. */
const json = (value: unknown) => JSON.stringify(value, null, 2);

Deno.test("sync's and plan's JSON steps and deletions, fields in order", () => {
  equal(json(syncDocument(SYNC, CTX).clients), json(SYNC_JSON));
  equal(json(planDocument(PLANNED, CTX).clients), json(PLAN_JSON));
});

const SYNC_TEXT = [
  "https://gitlab.example.com:",
  "  kept                    node7 main shell Runner (#11)",
  '  updated                 node7 main docker Runner (#12): tag_list: ["node7"] → ["node7","main","docker"], locked: false → true',
  "  kept                    node7 main noid Runner",
  "  restored (token reset)  node7 main custom Runner (#14): local token rejected by GitLab; updated maximum_timeout: null → 3600",
  "  replaced (new id)       node7 main batch Runner (#30): no local token; its token could not be reset, so it was deleted and registered again",
  "  registered              node7 main gpu Runner (#31): no runner yet",
  "  deleted                 node7 main old Runner (#21): no executor file",
  "  deleted                 runner #3: no executor file",
  "https://down.example.com: UNREACHABLE, kept the last good config for 2 runner(s)",
  "  GitLab https://down.example.com could not be reached for GET /runners/all: timed out",
  "https://empty.example.com:",
  "  (no runners)",
  "config: written /etc/gitlab-runner/config.main.toml",
].join("\n");

const PLAN_TEXT = [
  "https://gitlab.example.com:",
  "  ACTION    RUNNER                    ID   DETAILS",
  "  keep      node7 main shell Runner   #11",
  '  update    node7 main docker Runner  #12  tag_list: ["node7"] → ["node7","main","docker"], locked: false → true',
  "  keep      node7 main noid Runner    -",
  "  restore   node7 main custom Runner  #14  local token rejected by GitLab; token reset; update maximum_timeout: null → 3600",
  "  restore   node7 main batch Runner   #15  no local token; token read back",
  "  register  node7 main gpu Runner     -    no runner yet; tags node7,main,gpu; run_untagged: false, locked: false, paused: false; with the personal access token (POST /user/runners)",
  "  delete    node7 main old Runner     #21  no executor file",
  "  delete    runner #3                 -    no executor file",
  "https://down.example.com: UNREACHABLE, cannot plan",
  "  GitLab https://down.example.com could not be reached for GET /runners/all: timed out",
  "https://empty.example.com:",
  "  (no runners)",
  "config: would change /etc/gitlab-runner/config.main.toml",
  "--- a",
  "+++ b",
  "@@ -1 +1 @@",
  "-x",
  "+y",
  "plan: incomplete, a GitLab could not be reached",
].join("\n");

const SYNC_JSON = [{
  "url": "https://gitlab.example.com",
  "status": "synced",
  "steps": [{
    "action": "keep",
    "runner": "node7 main shell Runner",
    "file": "shell",
    "id": 11,
    "reason": "runner exists and its local token is valid",
    "update": null,
  }, {
    "action": "update",
    "runner": "node7 main docker Runner",
    "file": "docker",
    "id": 12,
    "reason": "attributes differ: tag_list, locked",
    "update": {
      "tag_list": { "from": ["node7"], "to": ["node7", "main", "docker"] },
      "locked": { "from": false, "to": true },
    },
  }, {
    "action": "keep",
    "runner": "node7 main noid Runner",
    "file": "noid",
    "id": null,
    "reason": "runner exists and its local token is valid",
    "update": null,
  }, {
    "action": "restore",
    "runner": "node7 main custom Runner",
    "file": "custom",
    "id": 14,
    "reason": "local token rejected by GitLab; token reset",
    "update": { "maximum_timeout": { "from": null, "to": 3600 } },
  }, {
    "action": "restore",
    "runner": "node7 main batch Runner",
    "file": "batch",
    "id": 30,
    "reason": "no local token; token read back",
    "update": null,
  }, {
    "action": "register",
    "runner": "node7 main gpu Runner",
    "file": "gpu",
    "id": 31,
    "reason": "no runner yet",
    "update": null,
  }],
  "deletions": [{
    "runner": "node7 main old Runner",
    "id": 21,
    "by": "id",
    "reason": "no executor file",
  }, { "runner": "runner #3", "id": null, "by": "token", "reason": "no executor file" }],
  "error": null,
}, {
  "url": "https://down.example.com",
  "status": "unreachable",
  "steps": [],
  "deletions": [],
  "kept": 2,
  "error": {
    "type": "GitLabUnreachableError",
    "message":
      "GitLab https://down.example.com could not be reached for GET /runners/all: timed out",
    "where": null,
    "hint": null,
    "request_id": null,
  },
}, {
  "url": "https://empty.example.com",
  "status": "synced",
  "steps": [],
  "deletions": [],
  "error": null,
}];

const PLAN_JSON = [{
  "url": "https://gitlab.example.com",
  "status": "planned",
  "steps": [{
    "action": "keep",
    "runner": "node7 main shell Runner",
    "file": "shell",
    "id": 11,
    "reason": "runner exists and its local token is valid",
    "update": null,
  }, {
    "action": "update",
    "runner": "node7 main docker Runner",
    "file": "docker",
    "id": 12,
    "reason": "attributes differ: tag_list, locked",
    "update": {
      "tag_list": { "from": ["node7"], "to": ["node7", "main", "docker"] },
      "locked": { "from": false, "to": true },
    },
  }, {
    "action": "keep",
    "runner": "node7 main noid Runner",
    "file": "noid",
    "id": null,
    "reason": "runner exists and its local token is valid",
    "update": null,
  }, {
    "action": "restore",
    "runner": "node7 main custom Runner",
    "file": "custom",
    "id": 14,
    "reason": "local token rejected by GitLab; token reset",
    "update": { "maximum_timeout": { "from": null, "to": 3600 } },
  }, {
    "action": "restore",
    "runner": "node7 main batch Runner",
    "file": "batch",
    "id": 15,
    "reason": "no local token; token read back",
    "update": null,
  }, {
    "action": "register",
    "runner": "node7 main gpu Runner",
    "file": "gpu",
    "id": null,
    "reason": "no runner yet",
    "update": null,
  }],
  "deletions": [{
    "runner": "node7 main old Runner",
    "id": 21,
    "by": "id",
    "reason": "no executor file",
  }, { "runner": "runner #3", "id": null, "by": "token", "reason": "no executor file" }],
  "error": null,
}, {
  "url": "https://down.example.com",
  "status": "unreachable",
  "steps": [],
  "deletions": [],
  "error": {
    "type": "GitLabUnreachableError",
    "message":
      "GitLab https://down.example.com could not be reached for GET /runners/all: timed out",
    "where": null,
    "hint": null,
    "request_id": null,
  },
}, {
  "url": "https://empty.example.com",
  "status": "planned",
  "steps": [],
  "deletions": [],
  "error": null,
}];

Deno.test("formatError: every line has the level prefix; the place not named is appended", () => {
  const at = { file: "/etc/gitlab-runner/main/shell.toml", line: 3, key: "exector" };
  equal(
    formatError(new InputError("unknown key", { where: at, hint: "rename it\nor allow it" })),
    [
      "error: unknown key (/etc/gitlab-runner/main/shell.toml, line 3, key exector)",
      "error:   fix: rename it",
      "error:        or allow it",
    ].join("\n"),
  );
  equal(
    located("/etc/gitlab-runner/main/shell.toml: key `exector` (line 3): unknown key", at),
    "/etc/gitlab-runner/main/shell.toml: key `exector` (line 3): unknown key",
    "nothing repeated",
  );
  equal(
    located("bad value in /x.toml", { file: "/x.toml", line: 4 }),
    "bad value in /x.toml (line 4)",
  );
  equal(
    formatError(new Error("boom")),
    "error: internal error: boom\n" +
      "error:   This is a bug in register-runner; please report it with the output of --verbose.",
  );
});

Deno.test("unreachableWarning: one line, with the throttle's replies and time when GitLab throttled", () => {
  const error = unreachable();
  error.outage = { attempts: 12, ms: 30_000, reason: "HTTP 429" };
  equal(
    unreachableWarning(URL_B, error, 2),
    `${URL_B} unreachable after 12 attempts over 30.0 s (HTTP 429); GET /runners/all: timed out; ` +
      "kept the last good config for 2 runner(s) (--strict fails instead)",
  );
  error.outage = { ...error.outage, throttled: { replies: 12, waitedMs: 28_400 } };
  equal(
    unreachableWarning(URL_B, error, 2),
    `${URL_B} unreachable after 12 attempts over 30.0 s (HTTP 429; throttled 12 times, requests ` +
      "held back 28.4 s); GET /runners/all: timed out; kept the last good config for 2 runner(s) " +
      "(--strict fails instead)",
  );
});
