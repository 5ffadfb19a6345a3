/**
 * Reads what one GitLab holds for this host and instance: the owned runners (listing filtered by
 * the host and instance tags, then details) and the verdict on each local token.
 *
 * Round trips: the listing is queued first, so it never waits behind the token checks; the details
 * of runners the local config knows (by id) are read alongside it, speculatively; the token checks
 * run alongside both; any other owned runner's details read starts as soon as the page listing it
 * arrives. An unchanged restart therefore costs one round trip (two with more than one page) when
 * the concurrency pool is large enough, and otherwise keeps the pool full until done.
 *
 * Requests: every listing page, one `POST /runners/verify` per local token, one `GET
 * /runners/:id` per listed runner with an owned description. The details read cannot be skipped:
 * the listing has no `tag_list`, `run_untagged`, `locked`, `access_level`, `maximum_timeout` or
 * `maintenance_note`, and the `tag_list` filter proves only that a runner carries *at least* the
 * given tags, never that it has no extra ones (see the README, "Performance").
 *
 * @module
 */

import { describesOtherOwner, isOwnedDescription } from "../desired/runners.ts";
import { isVariableReference } from "./planner.ts";
import { GitLabApiError } from "../kernel/errors.ts";
import type { GitLabClient, RunnerDetails, RunnerSummary } from "../gitlab/client.ts";
import type { RunnerInfo } from "../gitlab/runner_info.ts";
import type {
  ConfiguredScope,
  ForeignRunner,
  LocalRunner,
  Observation,
  ObservedRunner,
  RunnerScope,
  TokenCheck,
} from "../kernel/model.ts";
import type { TokenInfo } from "../gitlab/client.ts";
import { adminModeError, belongsToScope, checkTokenScopes, tokenExpiryWarning } from "./scope.ts";

/** What {@link observeClient} needs. */
export interface ObserveInput {
  client: GitLabClient;
  clientKey: string;
  hostname: string;
  instance: string;
  /** Local runners of this GitLab whose tokens should be checked. */
  local: LocalRunner[];
  /** The host's gitlab-runner `system_id`, sent with verify so GitLab records no phantom manager. */
  systemId: string | undefined;
  /** False when there is no personal access token: the runners cannot be listed. */
  canList: boolean;
  /** The `info` gitlab-runner would send for a local runner (see `src/gitlab/runner_info.ts`). */
  infoFor?: ((local: LocalRunner) => RunnerInfo | undefined) | undefined;
  /** The GitLab URL as configured, for messages. */
  url?: string;
  /** The group or project whose runners these are (absent: instance runners). */
  scope?: ConfiguredScope | undefined;
  /**
   * The current time, for the token's expiry warning; default GitLab's time as its replies tell
   * (`client.serverNow()`, after the token's self-information arrived), as for runner tokens.
   */
  now?: Date;
}

const INSTANCE: RunnerScope = { kind: "instance" };

/**
 * Observes one GitLab. With an access token, its scopes are checked too (`GET
 * /personal_access_tokens/self`, alongside the listing): a token lacking a scope any operation of
 * this prefix needs fails the observation with {@link MissingScopesError}, before anything changes
 * and whatever else failed. A configured group or project is looked up alongside the listing.
 * Otherwise throws the client's typed errors (the first one to happen).
 */
export async function observeClient(input: ObserveInput): Promise<Observation> {
  const { client } = input;
  const url = input.url ?? input.clientKey;
  // The scope's id is needed only to re-check the details, so the lookup runs alongside the
  // listing (which takes the configured path): no extra round trip.
  let settleScope: (scope: Promise<RunnerScope>) => void = () => {};
  const scope = new Promise<RunnerScope>((resolve) => (settleScope = resolve));
  scope.catch(() => {});
  // Started first: the listing heads the pool's queue, and details reads hang off it.
  const owned = input.canList ? listOwned(input, scope) : Promise.resolve(undefined);
  settleScope(
    input.scope && input.canList ? client.resolveScope(input.scope) : Promise.resolve(INSTANCE),
  );
  const self: Promise<TokenInfo | undefined> = input.canList
    ? client.tokenSelf()
    : Promise.resolve(undefined);
  const checks = Promise.all(
    // A token gitlab-runner would expand ($VAR) is not verified as a literal.
    input.local.filter((l) => l.token !== undefined && !isVariableReference(l.token)).map(
      async (l) => {
        const check = await client.verifyRunner(l.token!.token, input.systemId, input.infoFor?.(l));
        return [l.index, check] as [number, TokenCheck];
      },
    ),
  );
  const [selfResult, scopeResult, ownedResult, checksResult] = await Promise.allSettled([
    self,
    scope,
    owned,
    checks,
  ]);
  const info = selfResult.status === "fulfilled" ? selfResult.value : undefined;
  // The token's verdict comes first: it explains most of the other failures.
  if (info !== undefined) checkTokenScopes(url, input.scope?.kind ?? "instance", info);
  // In the order the errors were reported before the token check existed.
  for (const r of [ownedResult, checksResult, scopeResult, selfResult]) {
    if (r.status === "rejected") throw adminModeError(url, r.reason, info);
  }
  const warning = info && tokenExpiryWarning(url, info, input.now ?? client.serverNow());
  const listed = (ownedResult as PromiseFulfilledResult<Listing | undefined>).value;
  const resolved = (scopeResult as PromiseFulfilledResult<RunnerScope>).value;
  const checked = new Map((checksResult as PromiseFulfilledResult<[number, TokenCheck][]>).value);
  const about = {
    ...(resolved.kind === "instance" ? {} : { scope: resolved }),
    ...(warning ? { warnings: [warning] } : {}),
  };
  if (listed === undefined) {
    const foreign = foreignByName(input, checked, new Set());
    return {
      clientKey: input.clientKey,
      tokenChecks: checked,
      ...about,
      ...(foreign.size === 0 ? {} : { foreign }),
    };
  }
  const proven = await provenRunners(input, checked, listed, resolved);
  // A listed runner of this scope refusing its details is given up only where that is legitimate:
  // in group scope an ancestor group's runner (listed too, of the same type) without a token here.
  const held = [...listed.unreadable].filter((id) =>
    proven.tokenIds.has(id) || input.scope?.kind === "project"
  ).sort((a, b) => a - b);
  return {
    clientKey: input.clientKey,
    tokenChecks: checked,
    owned: [...listed.owned, ...proven.adopted],
    ...(listed.otherTypes.size === 0 ? {} : { otherTypes: listed.otherTypes }),
    ...(proven.contradicted.length > 0 ? { listingContradicted: proven.contradicted } : {}),
    ...(held.length > 0 ? { unreadable: held } : {}),
    ...(proven.refused.size > 0 ? { refused: proven.refused } : {}),
    ...about,
    ...(proven.foreign.size === 0 ? {} : { foreign: proven.foreign }),
  };
}

/** The local entries with a verified token (a variable reference is never verified). */
function verifiedLocal(input: ObserveInput, checks: Map<number, TokenCheck>) {
  return input.local.flatMap((l) => {
    const check = checks.get(l.index);
    return check?.status === "valid" ? [{ local: l, check }] : [];
  });
}

/**
 * Verified local entries named in register-runner's form for another host or instance (see
 * `describesOtherOwner`), except those `settled` (their runner proven ours or foreign already):
 * their section was written there, so their token is that host's. Used where GitLab cannot show
 * the runner: no listing (no personal access token), or a GitLab too old to say whose a token is.
 */
function foreignByName(
  input: ObserveInput,
  checks: Map<number, TokenCheck>,
  settled: ReadonlySet<number>,
): Map<number, ForeignRunner> {
  const out = new Map<number, ForeignRunner>();
  for (const { local: l, check } of verifiedLocal(input, checks)) {
    if (settled.has(l.index) || l.name === undefined) continue;
    const owner = describesOtherOwner(l.name, input.hostname, input.instance);
    if (owner === undefined) continue;
    const id = check.runnerId ?? l.id;
    out.set(l.index, {
      ...(id === undefined ? {} : { id }),
      description: l.name,
      from: "config",
      owner,
    });
  }
  return out;
}

/**
 * The runners verified local tokens prove that the owned listing lacks, read by id (`GET
 * /runners/:id`, a read the local id usually started already): a token GitLab accepts proves
 * ownership whatever the listing, the tags or the description say now — with exceptions.
 *
 * - Only the scope's own runners are adopted (`belongsToScope`: for instance runners
 *   `runner_type` instance_type when GitLab sends it; for a group or project its type and that
 *   group or project in the details): a runner of another type, group or project is never taken
 *   over here, nor one whose details the token may not read (403, group and project scopes).
 * - A runner described (or, when GitLab shows a description in no register-runner form, whose
 *   config entries are all named) as another host's or instance's is that host's: the config was
 *   copied from there. It goes to `foreign`, never adopted.
 *
 * Which runner a token belongs to is verify's `runner_id` (GitLab 15.10+). Without it the config's
 * `id` is only a hint (a hand-merged entry may hold another host's id): the runner it names is
 * adopted only when it passes the listing's own ownership rule (both tags, an owned description).
 * A proven runner that matches that rule and was still not listed means the listing contradicts
 * the tokens.
 */
async function provenRunners(
  input: ObserveInput,
  checks: Map<number, TokenCheck>,
  listing: Listing,
  scope: RunnerScope,
): Promise<{
  adopted: ObservedRunner[];
  contradicted: number[];
  foreign: Map<number, ForeignRunner>;
  /** The runner ids verified local tokens lead to. */
  tokenIds: Set<number>;
  /** Local entries (index → runner id) whose unlisted runner refused its details (403). */
  refused: Map<number, number>;
}> {
  const { hostname, instance } = input;
  const have = new Set(listing.owned.map((o) => o.id));
  /** Runner id → the verified local entries leading to it, and whether verify said so. */
  const ids = new Map<number, { locals: LocalRunner[]; byVerify: boolean }>();
  const settled = new Set<number>();
  for (const { local: l, check } of verifiedLocal(input, checks)) {
    const id = check.runnerId ?? l.id;
    if (id === undefined) continue;
    if (have.has(id)) {
      if (check.runnerId !== undefined) settled.add(l.index);
      continue;
    }
    const entry = ids.get(id) ?? { locals: [], byVerify: false };
    entry.locals.push(l);
    entry.byVerify ||= check.runnerId !== undefined;
    ids.set(id, entry);
  }
  const adopted: ObservedRunner[] = [];
  const contradicted: number[] = [];
  const foreign = new Map<number, ForeignRunner>();
  const refused = new Map<number, number>();
  const tokenIds = new Set<number>();
  for (const { local: l, check } of verifiedLocal(input, checks)) {
    const id = check.runnerId ?? l.id;
    if (id !== undefined) tokenIds.add(id);
  }
  for (const [id, { locals, byVerify }] of ids) {
    let d: RunnerDetails;
    try {
      d = await listing.read(id);
    } catch (error) {
      if (error instanceof GitLabApiError && error.status === 404) continue; // gone meanwhile
      // Another group's or project's runner whose token the config holds: not this scope's.
      // Said (listed: held, see `unreadable`; else left in GitLab with a warning), never silent.
      if (input.scope !== undefined && error instanceof GitLabApiError && error.status === 403) {
        if (!listing.unreadable.has(id)) { for (const l of locals) refused.set(l.index, id); }
        continue;
      }
      throw error;
    }
    if (d.id !== id || !belongsToScope(d, scope)) continue;
    const matchesFilter = d.tag_list.includes(hostname) && d.tag_list.includes(instance) &&
      isOwnedDescription(d.description, hostname, instance);
    // Without verify's runner id the config's id proves nothing about whose runner this is.
    if (!byVerify && !matchesFilter) continue;
    const described = describesOtherOwner(d.description, hostname, instance);
    const named = locals.map((l) =>
      l.name === undefined ? undefined : describesOtherOwner(l.name, hostname, instance)
    );
    const owner = described ??
      (isOwnedDescription(d.description, hostname, instance) || named.some((n) => !n)
        ? undefined
        : named[0]);
    if (owner !== undefined) {
      for (const l of locals) {
        settled.add(l.index);
        foreign.set(l.index, {
          id,
          description: described ? d.description : l.name!,
          from: described ? "gitlab" : "config",
          owner,
        });
      }
      continue;
    }
    for (const l of locals) settled.add(l.index);
    adopted.push({ ...observed(d), provenByToken: true });
    if (matchesFilter && !listing.listedIds.has(id)) contradicted.push(id);
  }
  for (const [index, f] of foreignByName(input, checks, settled)) foreign.set(index, f);
  return {
    adopted,
    contradicted: contradicted.sort((a, b) => a - b),
    foreign,
    tokenIds,
    refused,
  };
}

/** What {@link listOwned} found, and a details read that reuses the reads already made. */
interface Listing {
  owned: ObservedRunner[];
  /** Runners the config names by id that are not the scope's own (id → `runner_type`). */
  otherTypes: Map<number, string>;
  /** Every runner id the listing returned (owned description or not). */
  listedIds: Set<number>;
  /**
   * Listed runners of the scope's type with this host's tags and an owned description whose
   * details GitLab refused (403).
   */
  unreadable: Set<number>;
  read(id: number): Promise<RunnerDetails>;
}

/**
 * Lists this host's runners of the scope (instance runners, or a group's or project's) and reads
 * the details of those with an owned description; only runners whose details show they are the
 * scope's own count (see `belongsToScope`). Also reports which runners the config names by id
 * are not the scope's own.
 */
async function listOwned(input: ObserveInput, scope: Promise<RunnerScope>): Promise<Listing> {
  const { client, hostname, instance } = input;
  const isCandidate = (r: RunnerSummary) =>
    isOwnedDescription(r.description ?? "", hostname, instance);
  const details = new Map<number, Promise<RunnerDetails | undefined>>();
  // Rejects with the first failed details read, so a failure ends the wait even mid-listing.
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});

  // Speculative reads: the local config names its runners' ids, so their details need not wait
  // for the listing (an unchanged restart then costs one round trip). Only the listing decides
  // which runners are considered: a speculative read of any other id is dropped, whatever its
  // outcome. For a listed runner its outcome counts, except a 404 (gone by the time of the read,
  // listed after): that runner is read again.
  const speculative = new Map<number, Promise<{ details: RunnerDetails } | { error: unknown }>>();
  // A group's or project's listing shows runners of ancestor groups too, whose details its
  // members may be refused (403): such a runner is not that group's or project's own, so skip it.
  const notReadable = (error: unknown) =>
    input.scope !== undefined && error instanceof GitLabApiError && error.status === 403;
  const read = (id: number): Promise<RunnerDetails | undefined> => {
    const early = speculative.get(id);
    const first = early === undefined ? client.getRunner(id) : early.then((r) => {
      if ("details" in r) return r.details;
      if (r.error instanceof GitLabApiError && r.error.status === 404) return client.getRunner(id);
      throw r.error;
    });
    const result = first.catch((error) => {
      if (notReadable(error)) return undefined;
      throw error;
    });
    result.catch(fail);
    return result;
  };
  const rowType = new Map<number, string | undefined>();
  const onPage = (runners: RunnerSummary[]) => {
    for (const r of runners) {
      rowType.set(r.id, r.runner_type);
      if (!isCandidate(r) || details.has(r.id)) continue;
      details.set(r.id, read(r.id));
    }
  };
  // The listing is queued first; then the speculative reads.
  const listing = client.listRunners([hostname, instance], { onPage, scope: input.scope });
  for (const id of new Set(input.local.flatMap((l) => (l.id === undefined ? [] : [l.id])))) {
    speculative.set(
      id,
      client.getRunner(id).then((details) => ({ details }), (error) => ({ error })),
    );
  }
  const listed = await Promise.race([listing, failed]);
  const candidates = listed.filter(isCandidate);
  const all = await Promise.race([
    Promise.all(candidates.map((r) => details.get(r.id) ?? read(r.id))),
    failed,
  ]);
  const resolved = await scope;
  const otherTypes = new Map<number, string>();
  for (const early of speculative.values()) {
    const r = await early;
    if ("details" in r && !belongsToScope(r.details, resolved)) {
      otherTypes.set(r.details.id, r.details.runner_type ?? "instance_type");
    }
  }
  const wantedType = input.scope === undefined ? undefined : `${input.scope.kind}_type`;
  const unreadable = new Set<number>();
  candidates.forEach((r, i) => {
    const type = rowType.get(r.id) ?? r.runner_type;
    if (all[i] === undefined && (type === undefined || type === wantedType)) unreadable.add(r.id);
  });
  const owned: ObservedRunner[] = [];
  for (const d of all) {
    if (d === undefined) continue;
    // Never a runner of another type, group or project: the group and project listings also
    // show instance runners and ancestor groups' runners.
    if (!belongsToScope(d, resolved)) continue;
    // Ownership needs both tags and the description; re-check on the details GitLab returned.
    if (!d.tag_list.includes(hostname) || !d.tag_list.includes(instance)) continue;
    if (!isOwnedDescription(d.description, hostname, instance)) continue;
    owned.push(observed(d));
  }
  const known = new Map(all.flatMap((d) => (d === undefined ? [] : [[d.id, d] as const])));
  const readAgain = (id: number): Promise<RunnerDetails> => {
    const d = known.get(id);
    if (d !== undefined) return Promise.resolve(d);
    const early = speculative.get(id);
    if (early === undefined) return client.getRunner(id);
    return early.then((r) => {
      if ("details" in r) return r.details;
      throw r.error;
    });
  };
  return {
    owned,
    otherTypes,
    listedIds: new Set(listed.map((r) => r.id)),
    unreadable,
    read: readAgain,
  };
}

function observed(d: RunnerDetails): ObservedRunner {
  return {
    id: d.id,
    description: d.description,
    tags: d.tag_list,
    attributes: {
      run_untagged: d.run_untagged,
      locked: d.locked,
      paused: d.paused,
      access_level: d.access_level,
      maximum_timeout: d.maximum_timeout === 0 ? null : d.maximum_timeout,
      ...(d.maintenance_note === undefined ? {} : { maintenance_note: d.maintenance_note }),
    },
    ...(d.token === undefined ? {} : { token: d.token }),
  };
}
