/**
 * The in-memory model of the fake GitLab: runners, users, personal access tokens, groups,
 * projects and registration tokens. Pure data and synchronous operations; no I/O, no clock
 * (callers pass `now`).
 *
 * Field names follow GitLab's REST entities (`snake_case`) so snapshots read like API payloads.
 *
 * @module
 */

/** GitLab's runner scopes. */
export type RunnerType = "instance_type" | "group_type" | "project_type";

/** All runner types, in GitLab's order. */
export const RUNNER_TYPES: readonly RunnerType[] = ["instance_type", "group_type", "project_type"];

/** Which protected refs a runner may run jobs for. */
export type AccessLevel = "not_protected" | "ref_protected";

/** All access levels. */
export const ACCESS_LEVELS: readonly AccessLevel[] = ["not_protected", "ref_protected"];

/** How a runner came to exist: legacy registration token (`POST /runners`) or created by a user. */
export type RegistrationType = "registration_token" | "authenticated_user";

/** What the runner told GitLab about itself (`info` on register/verify). */
export interface RunnerInfo {
  /** Normally `gitlab-runner` (not the config.toml name). */
  name?: string;
  /** gitlab-runner version, e.g. `17.11.0`. */
  version?: string;
  /** gitlab-runner git revision. */
  revision?: string;
  /** E.g. `linux`. */
  platform?: string;
  /** E.g. `amd64`. */
  architecture?: string;
  /** Executor type, e.g. `shell`. */
  executor?: string;
  /** Shell, e.g. `bash`. */
  shell?: string;
}

/** A runner manager row (`ci_runner_machines`, app/models/ci/runner_manager.rb) as the database holds it. */
export interface FakeManager {
  /** `system_xid`: the `system_id` the runner sent, or `<legacy>`. */
  system_id: string;
  /** Last persisted contact; `null` for a row created but never persisted. */
  contacted_at: string | null;
  /** Persisted `info` (version, executor, …). */
  info: RunnerInfo;
  /** Persisted `runtime_features` (from `info.features`); empty until a heartbeat persisted some. */
  runtime_features: Record<string, boolean>;
}

/** What one heartbeat carries. */
export interface Heartbeat {
  /** `system_id`, or undefined when the GitLab keeps no managers (before 15.10). */
  systemId: string | undefined;
  /** The runner's `info`, without `features`. */
  info: RunnerInfo;
  /** `info.features`, when sent. */
  features: Record<string, boolean> | undefined;
  /** False when GitLab skips `contacted_at` (glrt- verify on 15.10 … 17.x). */
  updateContact: boolean;
  /** Whether this version stores `info.features` as `runtime_features`. */
  storeFeatures: boolean;
}

/**
 * A manager's row is written only when its stored `contacted_at` is empty or older than a random
 * age in `UPDATE_CONTACT_COLUMN_EVERY = 40..55 minutes` (RunnerManager#persist_cached_data?); the
 * fake uses the upper bound, so a row is rewritten only after 55 minutes.
 */
export const PERSIST_AFTER_MS = 55 * 60 * 1000;

/** A runner as GitLab stores it. Timestamps are ISO-8601 strings (`2025-05-03T00:00:00.000Z`). */
export interface FakeRunner {
  /** Runner id. */
  id: number;
  /** The runner authentication token (secret). */
  token: string;
  /** `null` when tokens do not expire. */
  token_expires_at: string | null;
  /** Instance, group or project runner. */
  runner_type: RunnerType;
  /** Free text; register-runner keeps `"{host} {instance} … Runner"` here. */
  description: string;
  /** Tags, in the order given. */
  tag_list: string[];
  /** Whether it picks jobs without tags. */
  run_untagged: boolean;
  /** Whether it is locked to its current projects. */
  locked: boolean;
  /** `not_protected` or `ref_protected`. */
  access_level: AccessLevel;
  /** Seconds, or `null` for "no runner-specific limit". */
  maximum_timeout: number | null;
  /** Paused runners take no jobs (`active = !paused`). */
  paused: boolean;
  /** Free text for admins. */
  maintenance_note: string | null;
  /** Last heartbeat (verify), or `null` if never contacted. */
  contacted_at: string | null;
  /** Creation time. */
  created_at: string;
  /** Last change through the API (used for `If-Unmodified-Since`). */
  updated_at: string;
  /** Runner managers: the `system_id`s seen on verify (`<legacy>` when none was sent). */
  managers: string[];
  /** The manager rows by `system_id`. */
  manager_rows: Record<string, FakeManager>;
  /** Registration token or created by a user. */
  registration_type: RegistrationType;
  /** The user who created it with `POST /user/runners`, else `null`. */
  creator_id: number | null;
  /** Groups of a `group_type` runner. */
  group_ids: number[];
  /** Projects of a `project_type` runner. */
  project_ids: number[];
  /** Last `info` the runner sent. */
  info: RunnerInfo;
}

/** A GitLab user. */
export interface FakeUser {
  /** User id. */
  id: number;
  /** Login name. */
  username: string;
  /** Display name. */
  name: string;
  /** Instance administrator. */
  admin: boolean;
  /** A group or project access token's bot user (`User#project_bot?`). */
  bot?: boolean;
}

/** A personal access token. */
export interface FakePat {
  /** The secret value. */
  token: string;
  /** A human label, e.g. `admin` or `read-only`. */
  name: string;
  /** Owner of the token. */
  user_id: number;
  /** E.g. `["api"]`, `["read_api"]`, `["create_runner"]`, `["manage_runner"]`. */
  scopes: string[];
  /** ISO date; `null` never expires. */
  expires_at: string | null;
  /** Revoked tokens get 401 `Token was revoked`. */
  revoked: boolean;
}

/** A group; its owners may create and manage its runners. */
export interface FakeGroup {
  /** Group id. */
  id: number;
  /** Display name. */
  name: string;
  /** URL path. */
  path: string;
  /** Users with the Owner role. */
  owner_ids: number[];
  /** The parent group (subgroups); absent or `null` for a top-level group. */
  parent_id?: number | null;
}

/** A project; its maintainers may create and manage its runners. */
export interface FakeProject {
  /** Project id. */
  id: number;
  /** Display name. */
  name: string;
  /** URL path. */
  path: string;
  /** The group it lives in (its owners also manage the project). */
  group_id: number;
  /** Users with the Maintainer role. */
  maintainer_ids: number[];
}

/** A legacy registration token and the kind of runner it registers. */
export interface FakeRegistrationToken {
  /** The secret value. */
  token: string;
  /** The type of the runners it registers. */
  runner_type: RunnerType;
  /** Set for a group registration token. */
  group_id: number | null;
  /** Set for a project registration token. */
  project_id: number | null;
}

/** Attributes needed to create a runner; everything else gets GitLab's defaults. */
export type RunnerSeed = Partial<FakeRunner>;

/** Known runner token prefixes, longest first (the prefix is kept when a token is reset). */
const TOKEN_PREFIX = /^(glrt-t\d_|glrt-|glrtr-|t\d_)/;

/** The type prefix of a runner token (`glrt-`, `glrtr-`, `t1_` …), or `""` for legacy tokens. */
export function tokenPrefix(token: string): string {
  return TOKEN_PREFIX.exec(token)?.[1] ?? "";
}

/** 20 random URL-safe characters, like GitLab's token bodies. */
export function randomTokenBody(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** `now + seconds` as ISO string, or `null` without an expiration interval. */
export function expiryFrom(now: Date, seconds: number | null): string | null {
  return seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString();
}

/** A deep copy of a runner, so callers cannot change the state by accident. */
export function cloneRunner(runner: FakeRunner): FakeRunner {
  return structuredClone(runner);
}

/** Whether a token with this expiry can still authenticate at `now`. */
export function isUnexpired(expiresAt: string | null, now: Date): boolean {
  return expiresAt === null || Date.parse(expiresAt) >= now.getTime();
}

/** The description and tags a stale listing row shows. */
export type StaleListing = Partial<Pick<FakeRunner, "description" | "tag_list">>;

/** The store. Methods never validate API input; the route handlers do that first. */
export class FakeState {
  /** Runners by id. */
  readonly runners: Map<number, FakeRunner> = new Map();
  /** Users by id. */
  readonly users: Map<number, FakeUser> = new Map();
  /** Personal access tokens by value. */
  readonly pats: Map<string, FakePat> = new Map();
  /** Groups by id. */
  readonly groups: Map<number, FakeGroup> = new Map();
  /** Projects by id. */
  readonly projects: Map<number, FakeProject> = new Map();
  /** Registration tokens by value. */
  readonly registrationTokens: Map<string, FakeRegistrationToken> = new Map();
  /**
   * Memberships with a role (`members` rows): source `group:ID` or `project:ID` → user id →
   * access level (`Gitlab::Access`: 10 Guest … 50 Owner). `owner_ids` and `maintainer_ids` are
   * the seeded shorthand for Owner and Maintainer memberships. See `groups.ts`.
   */
  readonly members: Map<string, Map<number, number>> = new Map();
  /**
   * Plan limits `ci_registered_group_runners` / `ci_registered_project_runners` (GitLab.com sets
   * them per plan; self-managed defaults to 1000, here unlimited). See `groups.ts`.
   */
  readonly runnerLimits: { group?: number; project?: number } = {};
  /**
   * Hostile mode: what listings show for a runner instead of its current description and tags
   * (a listing read before an edit; see `FakeGitLab.setStaleListing`). Empty normally.
   */
  readonly staleListings: Map<number, StaleListing> = new Map();
  /**
   * Hostile mode: runners listings leave out (an empty or short page served by a misbehaving
   * proxy, cache or database replica; see `FakeGitLab.setListingOmits`). Empty normally.
   */
  readonly listingOmits: Set<number> = new Set();
  /**
   * Hostile mode: runners whose details show `tag_list` as one comma-separated string instead of
   * an array (a proxy or serializer rewriting the JSON; see `FakeGitLab.setWrongTypedTags`).
   */
  readonly wrongTypedTags: Set<number> = new Set();
  #nextRunnerId = 1;

  /**
   * Adds a runner with GitLab's defaults for everything not in `seed`.
   * A missing token gets `glrt-` (created runners) or `legacyPrefix` (registered runners).
   * Throws if the id or token is already taken.
   */
  insertRunner(
    seed: RunnerSeed,
    now: Date,
    expiresInSeconds: number | null,
    legacyPrefix = "glrtr-",
  ): FakeRunner {
    const id = seed.id ?? this.#nextRunnerId;
    if (this.runners.has(id)) throw new Error(`runner ${id} already exists`);
    const registration_type = seed.registration_type ?? "authenticated_user";
    const prefix = registration_type === "authenticated_user" ? "glrt-" : legacyPrefix;
    const token = seed.token ?? this.#uniqueToken(prefix);
    if (this.runnerByToken(token) !== undefined) throw new Error("runner token already in use");
    const stamp = now.toISOString();
    const runner: FakeRunner = {
      id,
      token,
      token_expires_at: seed.token_expires_at !== undefined
        ? seed.token_expires_at
        : expiryFrom(now, expiresInSeconds),
      runner_type: seed.runner_type ?? "instance_type",
      description: seed.description ?? "",
      tag_list: [...(seed.tag_list ?? [])],
      run_untagged: seed.run_untagged ?? true,
      locked: seed.locked ?? false,
      access_level: seed.access_level ?? "not_protected",
      maximum_timeout: seed.maximum_timeout ?? null,
      paused: seed.paused ?? false,
      maintenance_note: seed.maintenance_note ?? null,
      contacted_at: seed.contacted_at ?? null,
      created_at: seed.created_at ?? stamp,
      updated_at: seed.updated_at ?? stamp,
      managers: [...(seed.managers ?? [])],
      manager_rows: structuredClone(seed.manager_rows ?? {}),
      registration_type,
      creator_id: seed.creator_id ?? null,
      group_ids: [...(seed.group_ids ?? [])],
      project_ids: [...(seed.project_ids ?? [])],
      info: { ...(seed.info ?? {}) },
    };
    this.runners.set(id, runner);
    this.#nextRunnerId = Math.max(this.#nextRunnerId, id + 1);
    return runner;
  }

  /** The runner holding `token`, expired or not. */
  runnerByToken(token: string): FakeRunner | undefined {
    for (const runner of this.runners.values()) {
      if (runner.token === token) return runner;
    }
    return undefined;
  }

  /** The runner holding `token` if that token may authenticate at `now` (GitLab's `find_by_token`). */
  authenticRunner(token: string, now: Date): FakeRunner | undefined {
    const runner = this.runnerByToken(token);
    return runner !== undefined && isUnexpired(runner.token_expires_at, now) ? runner : undefined;
  }

  /** Gives the runner a new token with the same prefix and a fresh expiry; the old one dies. */
  resetToken(runner: FakeRunner, now: Date, expiresInSeconds: number | null): void {
    runner.token = this.#uniqueToken(tokenPrefix(runner.token));
    runner.token_expires_at = expiryFrom(now, expiresInSeconds);
  }

  /**
   * Records a heartbeat (`Ci::Runner#heartbeat` and `RunnerManager#heartbeat`): the manager row
   * for `systemId` is created if missing (`ensure_manager`), and written (info, features,
   * contacted_at) only when its stored `contacted_at` is empty or {@link PERSIST_AFTER_MS} old.
   */
  heartbeat(runner: FakeRunner, beat: Heartbeat, now: Date): void {
    if (beat.updateContact) runner.contacted_at = now.toISOString();
    runner.info = { ...runner.info, ...beat.info };
    if (beat.systemId === undefined) return;
    const id = beat.systemId;
    if (!runner.managers.includes(id)) runner.managers.push(id);
    const row = runner.manager_rows[id] ??= {
      system_id: id,
      contacted_at: null,
      info: {},
      runtime_features: {},
    };
    if (!beat.updateContact) return;
    const due = row.contacted_at === null ||
      now.getTime() - Date.parse(row.contacted_at) >= PERSIST_AFTER_MS;
    if (!due) return;
    row.contacted_at = now.toISOString();
    row.info = { ...beat.info };
    if (beat.storeFeatures) row.runtime_features = { ...(beat.features ?? {}) };
  }

  /** Removes one runner manager; false if the runner had no such manager. */
  removeManager(runner: FakeRunner, systemId: string): boolean {
    const index = runner.managers.indexOf(systemId);
    if (index < 0) return false;
    runner.managers.splice(index, 1);
    delete runner.manager_rows[systemId];
    return true;
  }

  /** The PAT with this value, if any (revoked and expired ones included). */
  pat(token: string): FakePat | undefined {
    return this.pats.get(token);
  }

  #uniqueToken(prefix: string): string {
    for (;;) {
      const token = prefix + randomTokenBody();
      if (this.runnerByToken(token) === undefined) return token;
    }
  }
}
