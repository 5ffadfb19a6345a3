/**
 * PAT-authenticated runner management (`lib/api/ci/runners.rb`): listings with filters and
 * pagination, details, update, delete and token reset by id.
 *
 * @module
 */

import { readAttributes, type RunnerAttributes, updatableParams } from "./attributes.ts";
import { authenticate, type RequestContext } from "./context.ts";
import { type EntityContext, resetTokenResult, runnerDetails, runnerEntity } from "./entities.ts";
import { paginate } from "./pagination.ts";
import { atLeastOneOf, GrapeError, optBool, optEnum, optInt, optTagList } from "./params.ts";
import { forbidden, json, noContent, recordNotFound, validationError } from "./responses.ts";
import {
  canManage,
  canRead,
  hasErrors,
  isOnline,
  isStale,
  ownedRunners,
  validateRunner,
} from "./rules.ts";
import { type FakeRunner, type FakeUser, RUNNER_TYPES } from "./state.ts";

const SCOPES = [
  "specific",
  "shared",
  "instance_type",
  "group_type",
  "project_type",
  "active",
  "paused",
  "online",
  "offline",
  "never_contacted",
  "stale",
] as const;
const STATUS_SCOPES = ["active", "paused", "online", "offline", "never_contacted", "stale"];
const STATUSES = ["active", "paused", "online", "offline", "stale", "never_contacted"] as const;

type Filter = (runner: FakeRunner) => boolean;

function statusFilter(value: string, now: Date): Filter {
  switch (value) {
    case "active":
      return (r) => !r.paused;
    case "paused":
      return (r) => r.paused;
    case "online":
      return (r) => isOnline(r, now);
    case "offline":
      return (r) => r.contacted_at !== null && !isOnline(r, now);
    case "never_contacted":
      return (r) => r.contacted_at === null;
    case "stale":
      return (r) => isStale(r, now);
    case "shared":
      return (r) => r.runner_type === "instance_type";
    case "specific":
      return (r) => r.runner_type !== "instance_type";
    default:
      return (r) => r.runner_type === value;
  }
}

/** Reads `scope`, `type`, `status`, `paused`, `tag_list` (AND) into one filter. */
function listFilter(ctx: RequestContext, adminListing: boolean): Filter | Response {
  const filters: Filter[] = [];
  const scope = optEnum(ctx.params, "scope", SCOPES);
  const type = optEnum(ctx.params, "type", RUNNER_TYPES);
  const status = optEnum(ctx.params, "status", STATUSES);
  const paused = optBool(ctx.params, "paused");
  const tags = optTagList(ctx.params, "tag_list");
  if (scope !== undefined) {
    if (!adminListing && !STATUS_SCOPES.includes(scope)) {
      return json(400, { message: "Scope contains invalid value" });
    }
    filters.push(statusFilter(scope, ctx.now));
  }
  if (type !== undefined) filters.push((r) => r.runner_type === type);
  if (status !== undefined) filters.push(statusFilter(status, ctx.now));
  if (paused !== undefined) filters.push((r) => r.paused === paused);
  if (tags !== undefined) filters.push((r) => tags.every((tag) => r.tag_list.includes(tag)));
  return (runner) => filters.every((filter) => filter(runner));
}

function entityContext(ctx: RequestContext, user: FakeUser): EntityContext {
  return { state: ctx.state, user, now: ctx.now, origin: ctx.url.origin, options: ctx.options };
}

/**
 * Id ascending: `GET /runners/all` builds an unordered relation and the offset paginator adds
 * `ORDER BY id` (`lib/gitlab/pagination/offset_pagination.rb`, `add_default_order`).
 */
function byIdAscending(a: FakeRunner, b: FakeRunner): number {
  return a.id - b.id;
}

/**
 * The runner as a listing shows it: its current state, unless a hostile test set a stale row
 * (`FakeGitLab.setStaleListing`). GitLab's `GET /runners/all` (`RunnersFinder`, presented with
 * `Entities::Ci::Runner`) and `GET /runners/:id` (`get_runner`, presented with
 * `Entities::Ci::RunnerDetails`) in `lib/api/ci/runners.rb` are separate requests reading the
 * database afresh, so an edit landing between them (`PUT /runners/:id`, or the admin UI through
 * `Ci::Runners::UpdateRunnerService`) makes the listing row older than the details. The stale row
 * is used for both the `tag_list` filter and the body. Not a GitLab behaviour on its own: it
 * models that race (hostile-GitLab mode), for any version.
 */
function asListed(ctx: RequestContext, runner: FakeRunner): FakeRunner {
  const stale = ctx.state.staleListings.get(runner.id);
  return stale === undefined ? runner : { ...runner, ...structuredClone(stale) };
}

function listing(ctx: RequestContext, adminListing: boolean): Response {
  const user = authenticate(ctx);
  if (user instanceof Response) return user;
  const filter = listFilter(ctx, adminListing);
  if (filter instanceof Response) return filter;
  optInt(ctx.params, "page");
  optInt(ctx.params, "per_page");
  if (adminListing && !user.admin) return forbidden();
  const current = adminListing ? [...ctx.state.runners.values()] : ownedRunners(ctx.state, user);
  return listedPage(ctx, user, current, filter);
}

/** One page of `current` as listed (stale rows applied), filtered, newest first. */
function listedPage(
  ctx: RequestContext,
  user: FakeUser,
  current: FakeRunner[],
  filter: Filter,
): Response {
  // Hostile mode (`FakeGitLab.setListingOmits`): rows a misbehaving proxy or replica drops. Not a
  // GitLab behaviour; models an empty or short page for any version.
  const pool = current.filter((r) => !ctx.state.listingOmits.has(r.id))
    .map((runner) => asListed(ctx, runner));
  const { page, headers } = paginate(pool.filter(filter).sort(byIdAscending), ctx);
  const ectx = entityContext(ctx, user);
  return json(200, page.map((runner) => runnerEntity(runner, ectx)), headers);
}

/**
 * A group's or project's listing of `pool` for an authenticated `user` whose permission the caller
 * checked: the same filters (`type`, `status`, `paused`, `tag_list`; `scope` with status values),
 * pagination and entity as the other listings.
 */
export function scopedListing(ctx: RequestContext, user: FakeUser, pool: FakeRunner[]): Response {
  const filter = listFilter(ctx, false);
  if (filter instanceof Response) return filter;
  optInt(ctx.params, "page");
  optInt(ctx.params, "per_page");
  return listedPage(ctx, user, pool, filter);
}

/** `GET /runners/all` (admins only). */
export function listAllRunners(ctx: RequestContext): Response {
  return listing(ctx, true);
}

/** `GET /runners`: group and project runners the user manages (not all runners, even for admins). */
export function listOwnedRunners(ctx: RequestContext): Response {
  return listing(ctx, false);
}

/** Authenticates, parses `:id` and loads the runner; or the error response to send. */
function loadRunner(
  ctx: RequestContext,
  rawId: string,
  validate: () => void = () => {},
): { user: FakeUser; runner: FakeRunner } | Response {
  const user = authenticate(ctx, ["manage_runner"]);
  if (user instanceof Response) return user;
  if (!/^\d+$/.test(rawId)) throw new GrapeError("id is invalid");
  validate();
  const runner = ctx.state.runners.get(Number(rawId));
  if (runner === undefined) return recordNotFound();
  return { user, runner };
}

function noAccess(): Response {
  return forbidden("No access granted");
}

/** `GET /runners/:id`: RunnerDetails (with `token` only on LLNL-patched GitLab). */
export function showRunner(ctx: RequestContext, id: string): Response {
  const loaded = loadRunner(ctx, id, () => optBool(ctx.params, "include_projects"));
  if (loaded instanceof Response) return loaded;
  const { user, runner } = loaded;
  if (!canRead(ctx.state, user, runner)) return noAccess();
  const details = runnerDetails(runner, entityContext(ctx, user), {
    includeProjects: optBool(ctx.params, "include_projects") ?? true,
    exposeToken: ctx.options.exposeTokenInDetails,
  });
  // Hostile mode (`FakeGitLab.setWrongTypedTags`): a proxy or serializer that turns the array
  // into one string. Not a GitLab behaviour (GitLab's `Entities::Ci::RunnerDetails` exposes
  // `tag_list` as an array in every version).
  if (ctx.state.wrongTypedTags.has(runner.id)) {
    return json(200, { ...details, tag_list: runner.tag_list.join(",") });
  }
  return json(200, details);
}

/** `PUT /runners/:id`: updates the given attributes (`tag_list` replaces the list). */
export function updateRunner(ctx: RequestContext, id: string): Response {
  let attrs: RunnerAttributes = {};
  const loaded = loadRunner(ctx, id, () => {
    atLeastOneOf(ctx.params, ...updatableParams(ctx.options));
    attrs = readAttributes(ctx.params, ctx.options, "update");
  });
  if (loaded instanceof Response) return loaded;
  const { user, runner } = loaded;
  if (!canManage(ctx.state, user, runner)) return noAccess();
  const updated = { ...runner, ...attrs };
  const errors = validateRunner(updated);
  if (hasErrors(errors)) return validationError(errors);
  Object.assign(runner, attrs, { updated_at: ctx.now.toISOString() });
  return json(
    200,
    runnerDetails(runner, entityContext(ctx, user), {
      includeProjects: true,
      exposeToken: ctx.options.exposeTokenInDetails,
    }),
  );
}

/** `DELETE /runners/:id`: 204; honours `If-Unmodified-Since` (412). */
export function deleteRunner(ctx: RequestContext, id: string): Response {
  const loaded = loadRunner(ctx, id);
  if (loaded instanceof Response) return loaded;
  const { user, runner } = loaded;
  if (!canManage(ctx.state, user, runner)) return noAccess();
  if (!user.admin && runner.runner_type === "project_type" && runner.project_ids.length > 1) {
    return forbidden("Runner associated with more than one project");
  }
  const since = ctx.req.headers.get("if-unmodified-since");
  if (since !== null && Date.parse(runner.updated_at) > Date.parse(since) + 999) {
    return json(412, { message: "412 Precondition Failed" });
  }
  ctx.state.runners.delete(runner.id);
  return noContent();
}

/** `POST /runners/:id/reset_authentication_token`: works even when the token has expired. */
export function resetRunnerToken(ctx: RequestContext, id: string): Response {
  const loaded = loadRunner(ctx, id);
  if (loaded instanceof Response) return loaded;
  const { user, runner } = loaded;
  if (!canManage(ctx.state, user, runner)) return noAccess();
  ctx.state.resetToken(runner, ctx.now, ctx.options.tokenExpiresInSeconds);
  return json(201, resetTokenResult(runner, ctx.options.omitTokenExpiresAt));
}
