/**
 * What a plan step and a deletion look like to people and machines, as plain data: built once
 * per step here, then rendered as `sync`'s report lines and `plan`'s table (report.ts) and as the
 * `--output json` steps (output.ts). Every wording decision shared by those renderings is made
 * here, including the verbs: `plan` says what it would do (`register`, `keep`, `update`,
 * `restore`, `delete`), `sync` what it did ({@link doneVerb}, {@link DELETED}); the renderers only
 * lay the fields out. Holds no token.
 *
 * @module
 */

import type { AttributeDiff, Deletion, RunnerStep } from "../reconcile/planner.ts";
import type { RunnerResult } from "../reconcile/apply.ts";

/** One attribute change: GitLab's value and the wanted one. */
export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

/** Where a step leaves its runner's token. */
export type TokenSource = "kept" | "reset" | "read back" | "new";

/** One desired runner's step, ready to render. */
export interface StepView {
  /** What the planner decided. */
  kind: RunnerStep["action"];
  /** As plan's table and JSON name it: a `keep` with attribute changes is an `update`. */
  action: "keep" | "update" | "restore" | "register";
  /** The runner's description (also its `name` in config.toml). */
  runner: string;
  /** The executor file's name without `.toml`. */
  file: string;
  /** GitLab's runner id; null when none is known (not registered yet). */
  id: number | null;
  /**
   * Why: the planner's reason for a restore or a register; for a keep, which attributes differ
   * or that the runner exists with a valid local token.
   */
  reason: string;
  token: TokenSource;
  /** Attribute changes in the plan's order; null when the step changes no attribute. */
  changes: Change[] | null;
  /**
   * The executor file (stem) the ownership record gave this runner to before: it moves to
   * {@link file}. Absent when it does not move.
   */
  movedFrom?: string;
  /** For a register step: how the runner would be registered and with what; else null. */
  registration: RegistrationView | null;
}

/** What a runner to register would be created with, ready to render. */
export interface RegistrationView {
  via: "pat" | "registration-token";
  /** How, in words: `with the personal access token (POST /user/runners)`, … */
  how: string;
  tags: readonly string[];
  /** The server-side attributes, `run_untagged: false, locked: false, paused: false, …`. */
  attributes: string;
}

/** What is known, when planning, about the credentials of the step's GitLab. */
export interface PlanCredentials {
  /** A registration token is configured too (the fallback on GitLab older than 15.10). */
  registrationToken: boolean;
}

/** A runner deleted (or to be deleted) in GitLab, ready to render. */
export interface DeletionView {
  runner: string;
  /** Null when it is deleted by its token (no personal access token configured). */
  id: number | null;
  by: Deletion["by"];
  reason: string;
}

/**
 * The view of a plan step. `id` overrides the plan's runner id: sync passes the id the runner
 * has after apply (a registered runner's new id, or a replaced runner's).
 */
export function stepView(step: RunnerStep, id?: number, credentials?: PlanCredentials): StepView {
  const base = {
    kind: step.action,
    runner: step.desired.description,
    file: step.desired.key,
    ...(step.action !== "register" && step.movedFrom !== undefined
      ? { movedFrom: step.movedFrom }
      : {}),
    registration: null,
  };
  switch (step.action) {
    case "keep": {
      const changes = changesOf(step.update);
      return {
        ...base,
        action: changes ? "update" : "keep",
        id: id ?? step.runnerId ?? null,
        reason: changes
          ? `attributes differ: ${changes.map((c) => c.field).join(", ")}`
          : "runner exists and its local token is valid",
        token: "kept",
        changes,
      };
    }
    case "restore":
      return {
        ...base,
        action: "restore",
        id: id ?? step.runnerId,
        reason: step.reason,
        token: step.method === "reset" ? "reset" : "read back",
        changes: changesOf(step.update),
      };
    case "register":
      return {
        ...base,
        action: "register",
        id: id ?? null,
        reason: step.reason,
        token: "new",
        changes: null,
        registration: registrationView(step, credentials),
      };
  }
}

/**
 * How a register step would register, from the credentials: `POST /user/runners` with the
 * personal access token (GitLab 15.10+; the registration token instead on an older GitLab, when
 * one is configured), or the legacy registration token, which GitLab 17.0+ refuses (410) unless
 * registration tokens were enabled again.
 */
function registrationView(
  step: Extract<RunnerStep, { action: "register" }>,
  credentials: PlanCredentials | undefined,
): RegistrationView {
  const a = step.desired.attributes;
  const attributes = [
    `run_untagged: ${a.run_untagged}`,
    `locked: ${a.locked}`,
    `paused: ${a.paused}`,
    ...(a.access_level === undefined ? [] : [`access_level: ${a.access_level}`]),
    ...(a.maximum_timeout === undefined ? [] : [`maximum_timeout: ${a.maximum_timeout}`]),
    ...(a.maintenance_note === undefined
      ? []
      : [`maintenance_note: ${JSON.stringify(a.maintenance_note)}`]),
  ].join(", ");
  const how = step.via === "pat"
    ? "with the personal access token (POST /user/runners" +
      (credentials?.registrationToken
        ? "; the registration token if this GitLab is older than 15.10)"
        : ")")
    : "with the registration token (POST /runners; GitLab 17.0+ refuses it unless registration " +
      "tokens are enabled)";
  return { via: step.via, how, tags: step.desired.tags, attributes };
}

/** The view of a deletion. */
export function deletionView(d: Deletion): DeletionView {
  return {
    runner: d.description,
    id: d.by === "id" ? d.runnerId : null,
    by: d.by,
    reason: d.reason,
  };
}

function changesOf(diff: AttributeDiff | undefined): Change[] | null {
  if (diff === undefined) return null;
  return Object.entries(diff).map(([field, [from, to]]) => ({ field, from, to }));
}

/** What sync did with a desired runner, as its report says it. */
export type DoneVerb =
  | "kept"
  | "updated"
  | "restored (token reset)"
  | "restored (token read back)"
  | "replaced (new id)"
  | "registered"
  | "not registered";

/** Sync's verb for a deleted runner. */
export const DELETED = "deleted";

/** Sync's verb for a runner of a quarantined file (`plan` says `hold`). */
export const HELD = "held";

/**
 * What sync did for a step: `result` is the runner's state after apply; none means nothing was
 * done for it (GitLab refused its registration and its file was left as it was).
 */
export function doneVerb(view: StepView, result: RunnerResult | undefined): DoneVerb {
  if (result === undefined) return "not registered";
  if (view.kind === "restore" && result.action === "registered") return "replaced (new id)";
  switch (view.kind) {
    case "keep":
      return view.changes ? "updated" : "kept";
    case "restore":
      return view.token === "reset" ? "restored (token reset)" : "restored (token read back)";
    case "register":
      return "registered";
  }
}
