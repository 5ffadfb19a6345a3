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
  RunnerRecord,
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
    /** The executor file the ownership record gave this runner to before (see {@link Move}). */
    movedFrom?: string;
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
    /** The executor file the ownership record gave this runner to before (see {@link Move}). */
    movedFrom?: string;
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
  /**
   * Desired runners (executor file stems) left as they are this run: the listing contradicted a
   * verified token, so no runner is registered for them (their last config section is kept).
   */
  heldByListing: string[];
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
  /**
   * The ownership record of this GitLab: which executor file each runner belongs to. `undefined`
   * when the host has none (upgraded from the Python tool or an older register-runner).
   */
  record?: RunnerRecord[];
  /**
   * Stems of executor files that exist but are not planned this run (quarantined): the runners
   * the record gives them stay reserved for them, as for any existing file.
   */
  reservedKeys?: readonly string[];
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
export function planClient(plain: PlanInput): ClientPlan {
  const { observation } = plain;
  const warnings = foreignWarnings(plain);
  // A foreign entry's runner is another host's: its entry takes part in nothing below (never
  // paired, kept, restored or deleted by token); the config loses it, the warning names it.
  const input = observation.foreign === undefined || observation.foreign.size === 0
    ? plain
    : { ...plain, local: plain.local.filter((l) => !observation.foreign!.has(l.index)) };
  const ownership = ownershipOf(input);
  const ctx: PlanContext = {
    input,
    ownership,
    localFor: matchLocal(input.desired, input.local, ownership, warnings),
    registerVia: input.credentials.personalAccessToken ? "pat" : "registration-token",
    warnings,
  };
  const planned = observation.owned === undefined
    ? planWithoutListing(ctx)
    : planWithListing(ctx, observation.owned);
  return {
    clientKey: observation.clientKey,
    ...planned,
    warnings: [...new Set([...warnings, ...planned.warnings])],
  };
}

/** One warning per local entry whose runner is another host's or instance's (`foreign`). */
function foreignWarnings(input: PlanInput): string[] {
  const out: string[] = [];
  for (const [index, f] of input.observation.foreign ?? []) {
    const l = input.local.find((x) => x.index === index);
    const name = l?.name ?? `config.toml runner #${index}`;
    const whose = `host ${f.owner.hostname}'s instance ${f.owner.instance}`;
    const said = f.from === "gitlab"
      ? `GitLab describes it as "${f.description}"`
      : `its config section is named so`;
    out.push(
      `${name}${f.id === undefined ? "" : ` (#${f.id})`}: GitLab accepts its token, but the ` +
        `runner looks like ${whose} (${said}): a config copied from there (a cloned VM image or ` +
        "a copied instance?); dropped from this config, NOT changed or deleted in GitLab; this " +
        "host registers its own runner. Delete that runner in GitLab only if no host uses it",
    );
  }
  return out;
}

/** True when the plan would change nothing in GitLab. */
export function isNoop(plan: ClientPlan): boolean {
  return plan.deletions.length === 0 &&
    plan.steps.every((s) => s.action === "keep" && s.update === undefined);
}

/**
 * The ownership record as planning uses it. A runner recorded for a file that still exists is
 * reserved for that file: no other file may claim it, whatever the descriptions say. A runner
 * recorded for a file that is gone may be claimed by another file through the description rules
 * (a renamed file); that is a move, said loudly.
 */
interface Ownership {
  /** Executor file stem → recorded runner id. */
  idOf: Map<string, number>;
  /** Runner id → the executor file stem it is recorded for. */
  keyOf: Map<number, string>;
  /** The stems of the executor files that exist. */
  files: Set<string>;
}

function ownershipOf(input: PlanInput): Ownership {
  const idOf = new Map<string, number>();
  const keyOf = new Map<number, string>();
  for (const r of input.record ?? []) {
    if (r.clientKey !== input.observation.clientKey) continue;
    idOf.set(r.key, r.id);
    keyOf.set(r.id, r.key);
  }
  return {
    idOf,
    keyOf,
    files: new Set([...input.desired.map((d) => d.key), ...input.reservedKeys ?? []]),
  };
}

/** True when runner `id` is recorded for an existing executor file other than `key`. */
function reservedElsewhere(own: Ownership, id: number | undefined, key: string): boolean {
  if (id === undefined) return false;
  const owner = own.keyOf.get(id);
  return owner !== undefined && owner !== key && own.files.has(owner);
}

/** The file runner `id` moves away from when `key` takes it; undefined when it is no move. */
function moveOf(own: Ownership, id: number | undefined, key: string): string | undefined {
  if (id === undefined) return undefined;
  const owner = own.keyOf.get(id);
  return owner !== undefined && owner !== key ? owner : undefined;
}

/** What both planners start from. */
interface PlanContext {
  input: PlanInput;
  ownership: Ownership;
  /** Each desired runner's local entry (by key), see {@link matchLocal}. */
  localFor: Map<string, LocalRunner>;
  registerVia: "pat" | "registration-token";
  /** Warnings of the matching, for the plan. */
  warnings: string[];
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

/** The `movedFrom` of a step giving runner `id` to `d`, with a loud warning; `{}` when no move. */
function movePart(
  ctx: PlanContext,
  id: number | undefined,
  d: DesiredRunner,
): { movedFrom?: string } {
  const from = moveOf(ctx.ownership, id, d.key);
  if (from === undefined) return {};
  ctx.warnings.push(
    `MOVE: runner #${id} belonged to executor file ${from}.toml, which is gone; ${d.key}.toml ` +
      `takes it over (its id, projects and history) as ${d.description}. If ${d.key}.toml is not ` +
      `${from}.toml renamed, restore ${from}.toml or delete runner #${id} in GitLab`,
  );
  return { movedFrom: from };
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
      const runnerId = ok.check.runnerId ?? ok.local.id;
      return {
        action: "keep",
        desired: d,
        runnerId,
        local: ok.local,
        token: keptToken(ok.token, ok.check),
        ...movePart(ctx, runnerId, d),
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
  return { steps, deletions, warnings, heldByListing: [] };
}

/**
 * With a listing: pair each desired runner with at most one owned runner, keep, restore or
 * register each, and delete the owned runners nothing claimed.
 *
 * The owned runners include those a verified local token proved that the listing missed (read by
 * id, see `observe.ts`). When the listing missed one that matches its own filter, the listing
 * contradicts the tokens (an empty or short page): it is not trusted for deletions or
 * registrations this run — those are skipped (the runners' last config sections are kept) and
 * said in a warning; the runners it did return are kept, restored and updated as usual.
 */
function planWithListing(
  ctx: PlanContext,
  listed: ObservedRunner[],
): Omit<ClientPlan, "clientKey"> {
  const { desired, local, observation } = ctx.input;
  const owned = [...listed].sort((a, b) => a.id - b.id);
  const matches = matchOwned(ctx, owned);
  const contradicted = (observation.listingContradicted ?? []).length > 0;
  const unreadable = observation.unreadable ?? [];
  const untrusted = contradicted || unreadable.length > 0;
  const warnings: string[] = [];
  const held: string[] = [];
  const steps: RunnerStep[] = [];
  for (const d of desired) {
    const step = stepWithListing(ctx, d, matches.get(d.key), owned);
    if (untrusted && step.action === "register") held.push(d.key);
    else steps.push(step);
    const local = ctx.localFor.get(d.key);
    const other = !matches.has(d.key) && local ? otherTypeOf(local, observation) : undefined;
    if (other) {
      const scope = ctx.input.observation.scope;
      const whose = scope === undefined || scope.kind === "instance"
        ? { prefix: "instance runners", one: "an instance runner" }
        : { prefix: `${scope.kind} ${scope.path}'s runners`, one: `a ${scope.kind} runner` };
      warnings.push(
        `${d.description}: runner #${other.id} that the config holds is ${other.what}, ` +
          `which a prefix for ${whose.prefix} never resets, updates or deletes; registering ` +
          `${whose.one} for this executor file instead (the other runner is left as it is)`,
      );
    }
  }
  const claimed = new Set([...matches.values()].map((o) => o.id));
  const wanted = new Set(desired.flatMap((d) => [d.description, ...d.formerDescriptions]));
  // A runner the record gives to a file that exists but is not planned (quarantined) is its.
  const reserved = new Set(ctx.input.reservedKeys ?? []);
  const keptFor = (o: ObservedRunner) => reserved.has(ctx.ownership.keyOf.get(o.id) ?? "");
  const unclaimed = owned.filter((o) => !claimed.has(o.id) && !keptFor(o)).map((o): Deletion => ({
    by: "id",
    runnerId: o.id,
    description: o.description,
    reason: wanted.has(o.description) ? "duplicate" : "no executor file",
  }));
  const deletions = untrusted ? [] : unclaimed;
  const skipped = `${unclaimed.length} deletion(s) and ${held.length} registration(s) skipped, ` +
    "their config sections kept; the next run tries again";
  if (unreadable.length > 0) {
    const ids = unreadable.map((id) => `#${id}`).join(", ");
    const scope = observation.scope;
    const what = scope === undefined || scope.kind === "instance"
      ? "instance runners"
      : `${scope.kind} ${scope.path}'s runners`;
    const role = scope?.kind === "project" ? "Maintainer" : "Owner";
    warnings.push(
      `runner(s) ${ids}: the listing of ${what} shows them with this host's tags and ` +
        `description, but GitLab answers 403 Forbidden to their details (GET /runners/:id); ` +
        `not giving them up (no new runner registered in their place): ${skipped}. Give the ` +
        `access token the ${role} role there; if they are runners of a parent group this host ` +
        `used before, delete them in GitLab`,
    );
  }
  if (contradicted) {
    const ids = observation.listingContradicted!.map((id) => `#${id}`).join(", ");
    warnings.push(
      `the runner listing of this GitLab left out runner(s) ${ids}, whose local tokens GitLab ` +
        `accepts and whose details match the listing's filter (an empty or short page: a proxy or ` +
        `GitLab misbehaving); not trusting it this run: ${skipped}`,
    );
  }
  // A verified token the config no longer wants, of a runner no listing or read by id showed
  // (GitLab too old to say whose token it is, and no id in the config): named, never orphaned
  // silently.
  const used = new Set([...ctx.localFor.values()].map((l) => l.index));
  const ownedIds = new Set(owned.map((o) => o.id));
  const scope = observation.scope;
  const whose = scope === undefined || scope.kind === "instance"
    ? "instance runner"
    : `runner of ${scope.kind} ${scope.path}`;
  for (const l of local) {
    if (used.has(l.index) || !l.token) continue;
    const check = observation.tokenChecks.get(l.index);
    if (check?.status !== "valid") continue;
    const id = check.runnerId ?? l.id;
    if (id !== undefined && ownedIds.has(id)) continue;
    if (id !== undefined && observation.otherTypes?.has(id)) continue; // said above
    const refused = observation.refused?.get(l.index);
    if (refused !== undefined) {
      warnings.push(refusedWarning(ctx, l, refused, false));
      continue;
    }
    warnings.push(
      `${l.name ?? `config.toml runner #${l.index}`}${id === undefined ? "" : ` (#${id})`}: ` +
        "no executor file wants it and GitLab accepts its token, but it is not this host's " +
        `${whose} as far as GitLab shows; dropped from the config, NOT deleted in GitLab: ` +
        "delete it in GitLab if it is no longer used",
    );
  }
  return { steps, deletions, warnings, heldByListing: held };
}

/**
 * The warning for a local entry whose token GitLab accepts but whose runner the scope neither
 * lists nor may read (403): another group's or project's (the configured scope changed?).
 */
function refusedWarning(
  ctx: PlanContext,
  l: LocalRunner,
  id: number,
  replaced: boolean,
): string {
  const scope = ctx.input.observation.scope;
  const whose = scope === undefined || scope.kind === "instance"
    ? "the instance runners"
    : `${scope.kind} ${scope.path}`;
  return `${l.name ?? `config.toml runner #${l.index}`} (#${id}): GitLab accepts its token, but ` +
    `the runner is not among ${whose === "the instance runners" ? whose : `${whose}'s runners`} ` +
    "and GitLab refuses its details to this access token (403 Forbidden on GET /runners/:id): " +
    "a runner of another group or project (the configured group or project changed?); left in " +
    `GitLab, NOT deleted` +
    (replaced ? `; registering a runner of ${whose} instead` : "; dropped from the config") +
    `. Delete runner #${id} in GitLab if no host uses it`;
}

/**
 * The runner a local entry points at (verified id, else recorded id) that is not this entry's own
 * (another type, or another group's or project's), if any; `what` says which, e.g. "a group_type
 * runner" or "a group_type runner of another group".
 */
function otherTypeOf(
  local: LocalRunner,
  observation: Observation,
): { id: number; what: string } | undefined {
  const check = observation.tokenChecks.get(local.index);
  const ids = [check?.status === "valid" ? check.runnerId : undefined, local.id];
  const kind = observation.scope?.kind ?? "instance";
  for (const id of ids) {
    const type = id === undefined ? undefined : observation.otherTypes?.get(id);
    if (id === undefined || type === undefined) continue;
    const article = /^[aeiou]/.test(type) ? "an" : "a";
    const what = type === `${kind}_type`
      ? `${article} ${type} runner of another ${kind}`
      : `${article} ${type} runner`;
    return { id, what };
  }
  return undefined;
}

/**
 * Pairs desired runners with owned ones (sorted by id): first the ownership record (file → id),
 * then what the local config proves (verified token or recorded id), then by current
 * description, then by a former one (adoption), oldest runner first. A runner the record gives
 * to another existing file is never claimed by the description rules. Each owned runner is
 * claimed at most once.
 */
function matchOwned(ctx: PlanContext, owned: ObservedRunner[]): Map<string, ObservedRunner> {
  const { desired, observation } = ctx.input;
  const own = ctx.ownership;
  const byId = new Map(owned.map((o) => [o.id, o]));
  const claimed = new Set<number>();
  const matches = new Map<string, ObservedRunner>();
  const claim = (d: DesiredRunner, o: ObservedRunner | undefined) => {
    if (!o || claimed.has(o.id) || matches.has(d.key)) return;
    if (reservedElsewhere(own, o.id, d.key)) return;
    claimed.add(o.id);
    matches.set(d.key, o);
  };
  for (const d of desired) {
    const id = own.idOf.get(d.key);
    if (id !== undefined) claim(d, byId.get(id));
  }
  for (const d of desired) {
    const local = ctx.localFor.get(d.key);
    if (!local) continue;
    const check = observation.tokenChecks.get(local.index);
    const provenId = check?.status === "valid" && check.runnerId !== undefined
      ? check.runnerId
      : local.id;
    claim(d, provenId === undefined ? undefined : byId.get(provenId));
  }
  const free = (o: ObservedRunner) => !claimed.has(o.id);
  for (const d of desired) {
    if (matches.has(d.key)) continue;
    claim(d, owned.find((r) => free(r) && r.description === d.description));
  }
  const freeFor = (o: ObservedRunner, d: DesiredRunner) =>
    free(o) && !reservedElsewhere(own, o.id, d.key);
  const pending = desired.filter((d) => !matches.has(d.key));
  for (const [d, r] of formerPairs(pending, owned, freeFor, (r) => r.description, ctx.warnings)) {
    if (!matches.has(d.key)) claim(d, r);
  }
  return matches;
}

/**
 * The description fallback's last pass: pairs desired runners with candidates carrying one of
 * their former descriptions. A candidate several files could claim (a single-form description
 * `"{host} {instance} {executor} Runner"` after files sharing that executor type were added)
 * goes to the file whose stem is the executor type (the Python tool's layout), otherwise to the
 * first by name, with a loud warning.
 */
function formerPairs<T>(
  desired: DesiredRunner[],
  candidates: T[],
  free: (c: T, d: DesiredRunner) => boolean,
  nameOf: (c: T) => string | undefined,
  warnings: string[],
): [DesiredRunner, T][] {
  const pairs: [DesiredRunner, T][] = [];
  const taken = new Set<T>();
  const done = new Set<string>();
  const ordered = [
    ...desired.filter((d) => d.key === d.executor),
    ...desired.filter((d) => d.key !== d.executor),
  ];
  for (const d of ordered) {
    const c = candidates.find((c) => {
      const name = nameOf(c);
      return free(c, d) && !taken.has(c) && name !== undefined &&
        d.formerDescriptions.includes(name);
    });
    if (c === undefined) continue;
    taken.add(c);
    done.add(d.key);
    pairs.push([d, c]);
    const name = nameOf(c)!;
    const rivals = desired.filter((x) =>
      x.key !== d.key && !done.has(x.key) && x.formerDescriptions.includes(name)
    );
    if (rivals.length > 0 && d.key !== d.executor) {
      warnings.push(
        `AMBIGUOUS: "${name}" could belong to ${
          [d, ...rivals].map((x) => `${x.key}.toml`).join(", ")
        } (no ownership record says which); gave it to ${d.key}.toml, the first by name. If that ` +
          "is wrong, delete that runner in GitLab and run again",
      );
    }
  }
  return pairs;
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
    const refused = local && ctx.input.observation.refused?.get(local.index);
    if (refused !== undefined) ctx.warnings.push(refusedWarning(ctx, local!, refused, true));
    return {
      action: "register",
      desired: d,
      via: ctx.registerVia,
      reason: other
        ? `runner #${other.id} is ${other.what}`
        : refused !== undefined
        ? `runner #${refused} that the config holds is not one this token may read (403), left ` +
          "in GitLab"
        : local
        ? "its runner no longer exists in GitLab"
        : "no runner yet",
    };
  }
  const update = diffAttributes(d, o);
  const updatePart = update ? { update } : {};
  const moved = movePart(ctx, o.id, d);
  const ok = verified(ctx, local);
  if (ok && tokenBelongsTo(ok.local, ok.check, o, owned)) {
    return {
      action: "keep",
      desired: d,
      runnerId: o.id,
      local: ok.local,
      token: keptToken(ok.token, ok.check),
      ...updatePart,
      ...moved,
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
    ...moved,
  };
}

/**
 * Whether a verified local token is the token of runner `o`. Proven when verify returned `o`'s id,
 * or (old GitLab without ids in verify) when the local id (of an owned runner), the patched token
 * or a unique description says so.
 */
function tokenBelongsTo(
  local: LocalRunner,
  check: { status: "valid"; runnerId?: number },
  o: ObservedRunner,
  owned: ObservedRunner[],
): boolean {
  if (check.runnerId !== undefined) return check.runnerId === o.id;
  // The config's id counts only for a runner this host owns: a hand-merged entry may hold the id
  // of another host's runner, which proves nothing about whose token this is.
  if (local.id !== undefined && owned.some((r) => r.id === local.id)) return local.id === o.id;
  if (o.token) return o.token.equals(local.token?.token);
  return owned.filter((r) => r.description === o.description).length === 1;
}

/**
 * Pairs each desired runner with at most one local entry of the same GitLab: by the ownership
 * record (the entry with the recorded id) first, then by current name, then by a former name
 * (also the Python tool's `description` key; see {@link formerPairs}). An entry whose id the
 * record gives to another existing file is never paired by name.
 */
function matchLocal(
  desired: DesiredRunner[],
  local: LocalRunner[],
  own: Ownership,
  warnings: string[],
): Map<string, LocalRunner> {
  const result = new Map<string, LocalRunner>();
  const used = new Set<number>();
  const take = (d: DesiredRunner, l: LocalRunner | undefined) => {
    if (!l || used.has(l.index) || result.has(d.key)) return;
    used.add(l.index);
    result.set(d.key, l);
  };
  for (const d of desired) {
    const id = own.idOf.get(d.key);
    if (id !== undefined) take(d, local.find((l) => !used.has(l.index) && l.id === id));
  }
  const free = (d: DesiredRunner) => (l: LocalRunner) =>
    !used.has(l.index) && !reservedElsewhere(own, l.id, d.key);
  for (const d of desired) {
    if (result.has(d.key)) continue;
    take(d, local.find((l) => free(d)(l) && l.name === d.description));
  }
  const pending = desired.filter((d) => !result.has(d.key));
  for (const [d, l] of formerPairs(pending, local, (l, d) => free(d)(l), (l) => l.name, warnings)) {
    take(d, l);
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
