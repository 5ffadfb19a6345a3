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
  RunnerToken,
  ServerAttributes,
  TokenCheck,
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
    /** The verified local token, with the expiry verify reported (if it reported one). */
    token: RunnerToken;
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

/**
 * Whether gitlab-runner (18.10+) would expand this config.toml token: `os.ExpandEnv` in
 * common/config.go replaces `$NAME`, `${…}` and the one-character names (`$$`, `$1` …). Such a
 * token is the operator's choice: never verified or reset as a literal, kept as written.
 */
export function isVariableReference(token: RunnerToken | undefined): boolean {
  return token !== undefined && /\$(\{|[A-Za-z0-9_*#$@!?-])/.test(token.token.reveal());
}

/** The step for a local entry whose token is a variable reference: kept as it is. */
function keepReference(
  d: DesiredRunner,
  local: LocalRunner & { token: RunnerToken },
  o: ObservedRunner | undefined,
): RunnerStep {
  const update = o ? diffAttributes(d, o) : undefined;
  return {
    action: "keep",
    desired: d,
    runnerId: o?.id ?? local.id,
    local,
    token: local.token,
    ...(update ? { update } : {}),
  };
}

/** Whether `local` holds a token that is a variable reference. */
function holdsReference(
  local: LocalRunner | undefined,
): local is LocalRunner & { token: RunnerToken } {
  return local !== undefined && isVariableReference(local.token);
}

/** Computes what to do with one GitLab. Pure and deterministic. */
export function planClient(input: PlanInput): ClientPlan {
  const { observation } = input;
  const ctx: PlanContext = {
    input,
    localFor: matchLocal(input.desired, input.local),
    registerVia: input.credentials.personalAccessToken ? "pat" : "registration-token",
  };
  const planned = observation.owned === undefined
    ? planWithoutListing(ctx)
    : planWithListing(ctx, observation.owned);
  return { clientKey: observation.clientKey, ...planned };
}

/** True when the plan would change nothing in GitLab. */
export function isNoop(plan: ClientPlan): boolean {
  return plan.deletions.length === 0 &&
    plan.steps.every((s) => s.action === "keep" && s.update === undefined);
}

/** What both planners start from. */
interface PlanContext {
  input: PlanInput;
  /** Each desired runner's local entry (by key), see {@link matchLocal}. */
  localFor: Map<string, LocalRunner>;
  registerVia: "pat" | "registration-token";
}

type ValidCheck = Extract<TokenCheck, { status: "valid" }>;

/** A verified local runner: it has a token, and verify accepted it. */
function verified(
  ctx: PlanContext,
  local: LocalRunner | undefined,
): { local: LocalRunner; token: RunnerToken; check: ValidCheck } | undefined {
  const check = local ? ctx.input.observation.tokenChecks.get(local.index) : undefined;
  if (!local?.token || check?.status !== "valid") return undefined;
  return { local, token: local.token, check };
}

/** The token a kept runner goes on with: the local one, with the expiry verify reported. */
function keptToken(token: RunnerToken, check: ValidCheck): RunnerToken {
  return check.reported === undefined ? token : { ...token, expiresAt: check.reported.expiresAt };
}

/**
 * Without a listing (no personal access token): decide from the local tokens alone. A verified
 * token is kept, anything else registers anew; verified tokens of runners no executor file wants
 * are deleted by token.
 */
function planWithoutListing(ctx: PlanContext): Omit<ClientPlan, "clientKey"> {
  const { desired, local, observation } = ctx.input;
  const warnings: string[] = [];
  const steps = desired.map((d): RunnerStep => {
    const l = ctx.localFor.get(d.key);
    if (holdsReference(l)) return keepReference(d, l, undefined);
    const ok = verified(ctx, l);
    if (ok) {
      return {
        action: "keep",
        desired: d,
        runnerId: ok.check.runnerId ?? ok.local.id,
        local: ok.local,
        token: keptToken(ok.token, ok.check),
      };
    }
    if (l?.token) {
      warnings.push(
        `${d.description}: its token was rejected and without a personal_access_token the old runner cannot be found or deleted; registering a new one`,
      );
    }
    return {
      action: "register",
      desired: d,
      via: ctx.registerVia,
      reason: l?.token ? "local token rejected by GitLab" : "no runner yet",
    };
  });
  const used = new Set([...ctx.localFor.values()].map((l) => l.index));
  const deletions = local.flatMap((l): Deletion[] => {
    if (used.has(l.index) || !l.token || isVariableReference(l.token)) return [];
    if (observation.tokenChecks.get(l.index)?.status !== "valid") return [];
    return [{
      by: "token",
      token: l.token.token,
      localIndex: l.index,
      description: l.name ?? `runner #${l.index}`,
      reason: "no executor file",
    }];
  });
  return { steps, deletions, warnings };
}

/**
 * With a listing: pair each desired runner with at most one owned runner, keep, restore or
 * register each, and delete the owned runners nothing claimed.
 */
function planWithListing(
  ctx: PlanContext,
  listed: ObservedRunner[],
): Omit<ClientPlan, "clientKey"> {
  const { desired } = ctx.input;
  const owned = [...listed].sort((a, b) => a.id - b.id);
  const matches = matchOwned(ctx, owned);
  const steps = desired.map((d) => stepWithListing(ctx, d, matches.get(d.key), owned));
  const warnings: string[] = [];
  for (const d of desired) {
    const local = ctx.localFor.get(d.key);
    const other = !matches.has(d.key) && local
      ? otherTypeOf(local, ctx.input.observation)
      : undefined;
    if (other) {
      warnings.push(
        `${d.description}: runner #${other.id} that the config holds is a ${other.type} runner, ` +
          "which a prefix for instance runners never resets, updates or deletes; registering " +
          "an instance runner for this executor file instead (the other runner is left as it is)",
      );
    }
  }
  const claimed = new Set([...matches.values()].map((o) => o.id));
  const wanted = new Set(desired.flatMap((d) => [d.description, ...d.formerDescriptions]));
  const deletions = owned.filter((o) => !claimed.has(o.id)).map((o): Deletion => ({
    by: "id",
    runnerId: o.id,
    description: o.description,
    reason: wanted.has(o.description) ? "duplicate" : "no executor file",
  }));
  return { steps, deletions, warnings };
}

/** The group or project runner a local entry points at (verified id, else recorded id), if any. */
function otherTypeOf(
  local: LocalRunner,
  observation: Observation,
): { id: number; type: string } | undefined {
  const check = observation.tokenChecks.get(local.index);
  const ids = [check?.status === "valid" ? check.runnerId : undefined, local.id];
  for (const id of ids) {
    const type = id === undefined ? undefined : observation.otherTypes?.get(id);
    if (id !== undefined && type !== undefined) return { id, type };
  }
  return undefined;
}

/**
 * Pairs desired runners with owned ones (sorted by id): first those the local config proves
 * (verified token or recorded id), then by current description, then by a former one (adoption),
 * oldest runner first. Each owned runner is claimed at most once.
 */
function matchOwned(ctx: PlanContext, owned: ObservedRunner[]): Map<string, ObservedRunner> {
  const { desired, observation } = ctx.input;
  const byId = new Map(owned.map((o) => [o.id, o]));
  const claimed = new Set<number>();
  const matches = new Map<string, ObservedRunner>();
  const claim = (d: DesiredRunner, o: ObservedRunner | undefined) => {
    if (!o || claimed.has(o.id)) return;
    claimed.add(o.id);
    matches.set(d.key, o);
  };
  for (const d of desired) {
    const local = ctx.localFor.get(d.key);
    if (!local) continue;
    const check = observation.tokenChecks.get(local.index);
    const provenId = check?.status === "valid" && check.runnerId !== undefined
      ? check.runnerId
      : local.id;
    claim(d, provenId === undefined ? undefined : byId.get(provenId));
  }
  for (
    const pick of [
      (d: DesiredRunner) => [d.description],
      (d: DesiredRunner) => d.formerDescriptions,
    ]
  ) {
    for (const d of desired) {
      if (matches.has(d.key)) continue;
      const names = pick(d);
      claim(d, owned.find((r) => !claimed.has(r.id) && names.includes(r.description)));
    }
  }
  return matches;
}

/** The step for one desired runner, given the owned runner it was paired with (if any). */
function stepWithListing(
  ctx: PlanContext,
  d: DesiredRunner,
  o: ObservedRunner | undefined,
  owned: ObservedRunner[],
): RunnerStep {
  const local = ctx.localFor.get(d.key);
  if (holdsReference(local)) return keepReference(d, local, o);
  if (!o) {
    const other = local && otherTypeOf(local, ctx.input.observation);
    return {
      action: "register",
      desired: d,
      via: ctx.registerVia,
      reason: other
        ? `runner #${other.id} is a ${other.type} runner`
        : local
        ? "its runner no longer exists in GitLab"
        : "no runner yet",
    };
  }
  const update = diffAttributes(d, o);
  const updatePart = update ? { update } : {};
  const ok = verified(ctx, local);
  if (ok && tokenBelongsTo(ok.local, ok.check, o, owned)) {
    return {
      action: "keep",
      desired: d,
      runnerId: o.id,
      local: ok.local,
      token: keptToken(ok.token, ok.check),
      ...updatePart,
    };
  }
  const check = local ? ctx.input.observation.tokenChecks.get(local.index) : undefined;
  const reason = !local?.token
    ? "no local token"
    : check?.status === "invalid"
    ? "local token rejected by GitLab"
    : "local token belongs to another runner";
  return {
    action: "restore",
    desired: d,
    runnerId: o.id,
    ...(o.token ? { method: "read", token: o.token } : { method: "reset" }),
    reason,
    ...updatePart,
  };
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
  if (o.token) return o.token.equals(local.token?.token);
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
  // A GitLab without the field (before 16.10) does not return it: unknown, never diffed.
  const note = o.attributes.maintenance_note;
  if (a.maintenance_note !== undefined && note !== undefined && note !== a.maintenance_note) {
    diff.maintenance_note = [note, a.maintenance_note];
  }
  return Object.keys(diff).length === 0 ? undefined : diff;
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
