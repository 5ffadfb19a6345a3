/**
 * The reconcile decision: from what this host wants (desired runners), what it has (the local
 * config.toml, plus tokens journaled by an interrupted run) and what one GitLab holds (the
 * observation), compute a plan of plain data. No I/O happens here.
 *
 * @module
 */

import type {
  DesiredRunner,
  LocalRunner,
  Observation,
  ObservedRunner,
  ServerAttributes,
} from "../kernel/model.ts";
import type { Secret } from "../kernel/secret.ts";

/** Attribute changes for `PUT /runners/:id`: field → [GitLab's value, wanted value]. */
export type AttributeDiff = {
  description?: [string, string];
  tag_list?: [string[], string[]];
  run_untagged?: [boolean, boolean];
  locked?: [boolean, boolean];
  paused?: [boolean, boolean];
  access_level?: [string, string];
  maximum_timeout?: [number | null, number];
  maintenance_note?: [string | null, string];
};

/** How a runner without a usable local token gets one back. */
export type RestoreMethod = "read" | "reset";

/** What happens to one desired runner. */
export type RunnerStep =
  | {
    action: "keep";
    desired: DesiredRunner;
    runnerId: number | undefined;
    local: LocalRunner;
    /** Expiry reported by verify, when GitLab sent one. */
    verifiedExpiresAt?: string | null;
    update?: AttributeDiff;
  }
  | {
    action: "restore";
    desired: DesiredRunner;
    runnerId: number;
    method: RestoreMethod;
    /** The token read from runner details (method "read"). */
    token?: Secret;
    /** Why the local token could not be used. */
    reason: string;
    update?: AttributeDiff;
  }
  | {
    action: "register";
    desired: DesiredRunner;
    /** `pat`: POST /user/runners (falls back to the registration token on old GitLab). */
    via: "pat" | "registration-token";
    reason: string;
  };

/** A runner to remove from GitLab. */
export type Deletion =
  | { by: "id"; runnerId: number; description: string; reason: string }
  | { by: "token"; token: Secret; localIndex: number; description: string; reason: string };

/** The plan for one GitLab. */
export interface ClientPlan {
  clientKey: string;
  steps: RunnerStep[];
  deletions: Deletion[];
  /** Things the operator should know (e.g. cannot clean up without a personal access token). */
  warnings: string[];
}

/** Credentials available for one GitLab. */
export interface Credentials {
  personalAccessToken: boolean;
  registrationToken: boolean;
}

/** Everything {@link planClient} decides from. */
export interface PlanInput {
  desired: DesiredRunner[];
  /** Local runners of this GitLab (config.toml overlaid with journaled tokens). */
  local: LocalRunner[];
  observation: Observation;
  credentials: Credentials;
}

/** Computes what to do with one GitLab. Pure and deterministic. */
export function planClient(input: PlanInput): ClientPlan {
  const { desired, observation, credentials } = input;
  const localFor = matchLocal(desired, input.local);
  const warnings: string[] = [];
  const steps: RunnerStep[] = [];
  const deletions: Deletion[] = [];
  const registerVia = credentials.personalAccessToken ? "pat" : "registration-token";

  if (observation.owned === undefined) {
    // No listing (no personal access token): decide from local tokens alone.
    for (const d of desired) {
      const local = localFor.get(d.key);
      const check = local ? observation.tokenChecks.get(local.index) : undefined;
      if (local?.token && check?.status === "valid") {
        steps.push({
          action: "keep",
          desired: d,
          runnerId: check.runnerId ?? local.id,
          local,
          ...expiry(check),
        });
      } else {
        if (local?.token) {
          warnings.push(
            `${d.description}: its token was rejected and without a personal_access_token the old runner cannot be found or deleted; registering a new one`,
          );
        }
        steps.push({
          action: "register",
          desired: d,
          via: registerVia,
          reason: local?.token ? "local token rejected by GitLab" : "no runner yet",
        });
      }
    }
    const used = new Set([...localFor.values()].map((l) => l.index));
    for (const l of input.local) {
      if (used.has(l.index) || !l.token) continue;
      if (observation.tokenChecks.get(l.index)?.status !== "valid") continue;
      deletions.push({
        by: "token",
        token: l.token,
        localIndex: l.index,
        description: l.name ?? `runner #${l.index}`,
        reason: "no executor file",
      });
    }
    return { clientKey: observation.clientKey, steps, deletions, warnings };
  }

  const owned = [...observation.owned].sort((a, b) => a.id - b.id);
  const byId = new Map(owned.map((o) => [o.id, o]));
  const claimed = new Set<number>();
  const matches = new Map<string, ObservedRunner>();

  // Pass 1: runners proven by the local config (verified token or recorded id).
  for (const d of desired) {
    const local = localFor.get(d.key);
    if (!local) continue;
    const check = observation.tokenChecks.get(local.index);
    const provenId = check?.status === "valid" && check.runnerId !== undefined
      ? check.runnerId
      : local.id;
    const o = provenId === undefined ? undefined : byId.get(provenId);
    if (o && !claimed.has(o.id)) {
      claimed.add(o.id);
      matches.set(d.key, o);
    }
  }
  // Pass 2: current descriptions, then former ones (adoption), oldest runner first.
  for (
    const pick of [
      (d: DesiredRunner) => [d.description],
      (d: DesiredRunner) => d.formerDescriptions,
    ]
  ) {
    for (const d of desired) {
      if (matches.has(d.key)) continue;
      const names = pick(d);
      const o = owned.find((r) => !claimed.has(r.id) && names.includes(r.description));
      if (o) {
        claimed.add(o.id);
        matches.set(d.key, o);
      }
    }
  }

  for (const d of desired) {
    const o = matches.get(d.key);
    const local = localFor.get(d.key);
    if (!o) {
      steps.push({
        action: "register",
        desired: d,
        via: registerVia,
        reason: local ? "its runner no longer exists in GitLab" : "no runner yet",
      });
      continue;
    }
    const update = diffAttributes(d, o);
    const updatePart = update ? { update } : {};
    const check = local ? observation.tokenChecks.get(local.index) : undefined;
    if (local?.token && check?.status === "valid" && tokenBelongsTo(local, check, o, owned)) {
      steps.push({
        action: "keep",
        desired: d,
        runnerId: o.id,
        local,
        ...expiry(check),
        ...updatePart,
      });
      continue;
    }
    const reason = !local?.token
      ? "no local token"
      : check?.status === "invalid"
      ? "local token rejected by GitLab"
      : "local token belongs to another runner";
    if (o.token) {
      steps.push({
        action: "restore",
        desired: d,
        runnerId: o.id,
        method: "read",
        token: o.token,
        reason,
        ...updatePart,
      });
    } else {
      steps.push({
        action: "restore",
        desired: d,
        runnerId: o.id,
        method: "reset",
        reason,
        ...updatePart,
      });
    }
  }

  const wanted = new Set(desired.flatMap((d) => [d.description, ...d.formerDescriptions]));
  for (const o of owned) {
    if (claimed.has(o.id)) continue;
    deletions.push({
      by: "id",
      runnerId: o.id,
      description: o.description,
      reason: wanted.has(o.description) ? "duplicate" : "no executor file",
    });
  }
  return { clientKey: observation.clientKey, steps, deletions, warnings };
}

/** True when the plan would change nothing in GitLab. */
export function isNoop(plan: ClientPlan): boolean {
  return plan.deletions.length === 0 &&
    plan.steps.every((s) => s.action === "keep" && s.update === undefined);
}

function expiry(check: { status: "valid"; tokenExpiresAt?: string | null } | undefined) {
  return check?.tokenExpiresAt === undefined ? {} : { verifiedExpiresAt: check.tokenExpiresAt };
}

/**
 * Whether a verified local token is the token of runner `o`. Proven when verify returned `o`'s id,
 * or (old GitLab without ids in verify) when the local id, the patched token or a unique
 * description says so.
 */
function tokenBelongsTo(
  local: LocalRunner,
  check: { status: "valid"; runnerId?: number },
  o: ObservedRunner,
  owned: ObservedRunner[],
): boolean {
  if (check.runnerId !== undefined) return check.runnerId === o.id;
  if (local.id !== undefined) return local.id === o.id;
  if (o.token) return o.token.equals(local.token);
  return owned.filter((r) => r.description === o.description).length === 1;
}

/**
 * Pairs each desired runner with at most one local entry of the same GitLab: by current name
 * first, then by a former name (also the Python tool's `description` key).
 */
function matchLocal(desired: DesiredRunner[], local: LocalRunner[]): Map<string, LocalRunner> {
  const result = new Map<string, LocalRunner>();
  const used = new Set<number>();
  for (
    const names of [
      (d: DesiredRunner) => [d.description],
      (d: DesiredRunner) => d.formerDescriptions,
    ]
  ) {
    for (const d of desired) {
      if (result.has(d.key)) continue;
      const wanted = names(d);
      const l = local.find((r) =>
        !used.has(r.index) && r.name !== undefined && wanted.includes(r.name)
      );
      if (l) {
        used.add(l.index);
        result.set(d.key, l);
      }
    }
  }
  return result;
}

/** The attribute changes that bring runner `o` to what `d` wants; undefined when none. */
export function diffAttributes(d: DesiredRunner, o: ObservedRunner): AttributeDiff | undefined {
  const diff: AttributeDiff = {};
  if (o.description !== d.description) diff.description = [o.description, d.description];
  if (!sameSet(o.tags, d.tags)) diff.tag_list = [o.tags, d.tags];
  const a: ServerAttributes = d.attributes;
  if (o.attributes.run_untagged !== a.run_untagged) {
    diff.run_untagged = [o.attributes.run_untagged, a.run_untagged];
  }
  if (o.attributes.locked !== a.locked) diff.locked = [o.attributes.locked, a.locked];
  if (o.attributes.paused !== a.paused) diff.paused = [o.attributes.paused, a.paused];
  if (a.access_level !== undefined && o.attributes.access_level !== a.access_level) {
    diff.access_level = [o.attributes.access_level, a.access_level];
  }
  if (a.maximum_timeout !== undefined && o.attributes.maximum_timeout !== a.maximum_timeout) {
    diff.maximum_timeout = [o.attributes.maximum_timeout, a.maximum_timeout];
  }
  if (a.maintenance_note !== undefined && o.attributes.maintenance_note !== a.maintenance_note) {
    diff.maintenance_note = [o.attributes.maintenance_note, a.maintenance_note];
  }
  return Object.keys(diff).length === 0 ? undefined : diff;
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
