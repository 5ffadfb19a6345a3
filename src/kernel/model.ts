/**
 * The typed values that flow between register-runner's stages:
 * load → (Site, LocalConfig) ; observe → Observation ; plan → Plan ; apply → Outcome ; render.
 *
 * Everything here is plain data, so the pure stages (tags, plan, render) can be table-tested.
 *
 * @module
 */

import type { Secret } from "./secret.ts";

/** The server-side attributes register-runner manages for every runner (never written to config.toml). */
export interface ServerAttributes {
  /** Whether the runner picks jobs without tags. Default false. */
  run_untagged: boolean;
  /** Whether the runner is locked to its current projects. Default false. */
  locked: boolean;
  /** Whether the runner is paused. Default false. */
  paused: boolean;
  /** `not_protected` or `ref_protected`; absent means "leave GitLab's value alone". */
  access_level?: "not_protected" | "ref_protected";
  /** Maximum job timeout in seconds (>= 600); absent means "leave GitLab's value alone". */
  maximum_timeout?: number;
  /** Free text shown to admins; absent means "leave GitLab's value alone". */
  maintenance_note?: string;
}

/** One GitLab instance from `client_configs` in the template. */
export interface ClientConfig {
  /** The URL exactly as written in the template (used in config.toml `url`). */
  url: string;
  /** The URL normalised for comparison: lower-case scheme and host, no trailing slash. */
  key: string;
  /** Base of the REST API: `${url without trailing slash}/api/v4`. */
  apiBase: string;
  /** Personal (or other access) token used for listing, creating, resetting and deleting runners. */
  personalAccessToken?: Secret;
  /** Legacy registration token; used only when GitLab lacks `POST /user/runners` or no PAT is given. */
  registrationToken?: Secret;
  /** PEM bundle (absolute path) trusted for this GitLab, if any. */
  caFile?: string;
  /**
   * The group or project whose runners this GitLab's executor files are (`group` / `project`
   * key); absent: instance runners.
   */
  scope?: ConfiguredScope;
  /** Where this client was declared, for error messages. */
  source: SourceRef;
  /**
   * Where each configured token came from, for error messages (a 401 names the entry and the
   * file); never the value.
   */
  tokenSources?: Partial<Record<"personal_access_token" | "registration_token", TokenSource>>;
}

/** Where a token was read: the template key that gives it and, in words, where its value is. */
export interface TokenSource {
  /** The key of the `client_configs` entry (`personal_access_token_file`, …) and its line. */
  where: SourceRef;
  /**
   * In words, to follow "read from": `the template itself (inline personal_access_token)`,
   * `the file /etc/…/gitlab-pat`, `$CREDENTIALS_DIRECTORY/gitlab-pat (/run/credentials/…)`.
   */
  from: string;
}

/**
 * A group or project as a `client_configs` entry names it: its full path (`"team/sub"`) or its
 * numeric id. Resolved against GitLab once per run (see `src/gitlab/scope.ts`).
 */
export interface ConfiguredScope {
  kind: "group" | "project";
  /** Full path or numeric id, as configured. */
  ref: string | number;
}

/** The runners one GitLab entry manages, resolved: instance runners, or one group's or project's. */
export type RunnerScope =
  | { kind: "instance" }
  | {
    kind: "group" | "project";
    /** GitLab's numeric id of the group or project. */
    id: number;
    /** Its full path as GitLab reports it (`full_path` / `path_with_namespace`). */
    path: string;
  };

/** A place in an input file, for error messages. */
export interface SourceRef {
  file: string;
  /** Dotted key path, e.g. `client_configs[0].url`. */
  key?: string;
  /** 1-based line, when known. */
  line?: number;
}

/** One executor file `{prefix}/{instance}/NAME.toml`, validated. */
export interface ExecutorSpec {
  /** File stem (`docker` for `docker.toml`); unique within the instance directory. */
  key: string;
  /** Absolute path of the file. */
  file: string;
  /** Normalised client key (matches {@link ClientConfig.key}). */
  clientKey: string;
  /** gitlab-runner executor type, e.g. `shell`, `docker`, `custom`. */
  executor: string;
  /** Names of environment variables whose values become tags. */
  envTags: string[];
  /** Extra literal tags. */
  extraTags: string[];
  /** Server-side attributes with defaults applied. */
  attributes: ServerAttributes;
  /** gitlab-runner `[[runners]]` keys and sub-tables, passed through to config.toml as written. */
  runnerKeys: Record<string, unknown>;
  /**
   * The file's `facts` key: which host facts become tags (`true`, `false` or a list of fact
   * names); absent when the file does not set it. See `src/inputs/fact_selection.ts`.
   */
  facts?: boolean | readonly FactName[];
}

/** A host fact an executor file may turn into tags with its `facts` key. */
export type FactName =
  | "architecture"
  | "microarchitecture"
  | "microarchitecture_ancestors"
  | "scheduler";

/**
 * An executor file whose problems are its own (TOML syntax, keys, url, tags, a 403 or 410 for its
 * registration): sync leaves its runner as it was — its last good `[[runners]]` section kept byte
 * for byte, nothing registered, updated or deleted for it — and syncs the rest (`--strict` and
 * `check` fail instead).
 */
export interface QuarantinedFile {
  /** File stem (`gpu` for `gpu.toml`). */
  key: string;
  /** Absolute path of the file. */
  file: string;
  /** What is wrong: each message names the file (and key and line when known). */
  problems: { message: string; where?: SourceRef; hint?: string }[];
  /**
   * Descriptions its runner carries or carried, as far as known (from its executor type, or
   * from the name of its last good section); empty when unknown.
   */
  names: string[];
  /**
   * Its runners as the ownership record holds them (one per GitLab): found by id first, whatever
   * their description, and reserved for this file while it is quarantined. Absent or empty
   * without a record.
   */
  recorded?: { clientKey: string; id: number }[];
}

/** Everything loaded from the prefix: the desired state's inputs. */
export interface Site {
  prefix: string;
  instance: string;
  templateFile: string;
  executorDir: string;
  outputFile: string;
  /** gitlab-runner global settings from the template (tool-only keys removed). */
  globals: Record<string, unknown>;
  clients: ClientConfig[];
  /** Sorted by key. */
  executors: ExecutorSpec[];
}

/** A runner as this host wants it to exist in GitLab and in config.toml. */
export interface DesiredRunner {
  /** Executor file stem. */
  key: string;
  clientKey: string;
  /** The description register-runner gives it (also the config.toml `name`). */
  description: string;
  /** Other descriptions this runner may carry from earlier layouts (adopted, then renamed). */
  formerDescriptions: string[];
  /** Tags, deduplicated, in stable order. */
  tags: string[];
  attributes: ServerAttributes;
  executor: string;
  runnerKeys: Record<string, unknown>;
}

/** gitlab-runner's zero time: what it writes in config.toml for a token time unknown or never. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/**
 * A runner authentication token with the two times gitlab-runner records beside it in
 * config.toml (`token_obtained_at`, `token_expires_at`). The same shape wherever a token travels:
 * read from config.toml or the journal, issued by GitLab, planned, applied, rendered.
 *
 * One convention for "unknown": a time is an ISO-8601 string, or `undefined` when it is not
 * known. For the expiry, `undefined` also means "never expires": config.toml cannot tell the two
 * apart (gitlab-runner writes its zero time {@link ZERO_TIME} for both) and nothing here
 * treats them differently. The zero time, an empty string and GitLab's `token_expires_at: null`
 * exist only at the edges: readers turn them into `undefined` (`inputs/local_config.ts`,
 * `runner_config/journal.ts`, `gitlab/wire.ts`), writers put the file's spelling back
 * (`runner_config/render.ts`, `runner_config/journal.ts`).
 */
export interface RunnerToken {
  /** The runner authentication token. */
  token: Secret;
  /** When the token was obtained (ISO-8601); `undefined` when unknown. */
  obtainedAt: string | undefined;
  /** When the token expires (ISO-8601); `undefined` when unknown or never. */
  expiresAt: string | undefined;
}

/**
 * A token time as {@link RunnerToken} holds it: `undefined` for one that is absent, `null`, empty
 * or gitlab-runner's zero time — the spellings of "unknown" (or "never") at the edges.
 */
export function knownTime(time: string | null | undefined): string | undefined {
  return time === null || time === "" || time === ZERO_TIME ? undefined : time;
}

/** A `[[runners]]` entry read from the existing `config.{instance}.toml`. */
export interface LocalRunner {
  /** Index in the file's `runners` array. */
  index: number;
  /** `name` (ours) or `description` (written by the Python tool). */
  name?: string;
  url?: string;
  id?: number;
  /** The entry's token and its times (in UTC to the second, as read); absent without a token. */
  token?: RunnerToken;
}

/** The existing output file, parsed. */
export interface LocalConfig {
  /** Raw bytes as read, to detect "unchanged" and to keep byte-for-byte on failure. */
  text: string;
  runners: LocalRunner[];
}

/** A runner GitLab holds that carries this host's and instance's tags. */
export interface ObservedRunner {
  id: number;
  description: string;
  tags: string[];
  attributes: {
    run_untagged: boolean;
    locked: boolean;
    paused: boolean;
    access_level: string;
    /** `null` when GitLab has no limit set. */
    maximum_timeout: number | null;
    /**
     * `null` when unset (or hidden from the caller); absent when this GitLab has no such field
     * (before 16.10): unknown, so never compared and never sent.
     */
    maintenance_note?: string | null;
  };
  /** Only on LLNL-patched GitLab (or < 13.0): the runner's current token. */
  token?: Secret;
  /**
   * True when only a verified local token proves it is ours: the listing missed it (its tags or
   * description were changed in the UI, or the listing misbehaved) and it was read by id.
   */
  provenByToken?: boolean;
}

/** What a `POST /runners/verify` said about a local token. */
export type TokenCheck =
  | {
    status: "valid";
    /** The runner the token belongs to (GitLab 15.10+). */
    runnerId?: number;
    /**
     * The token's expiry as GitLab reported it: absent when GitLab did not say (older than
     * 15.10), `undefined` when it said the token never expires, else ISO-8601.
     */
    reported?: { expiresAt: string | undefined };
  }
  | { status: "invalid" };

/** What register-runner learned from one GitLab before planning. */
export interface Observation {
  clientKey: string;
  /**
   * Runners carrying this host's and instance's tags whose description marks them as ours.
   * `undefined` when the runners could not be listed (no personal access token).
   */
  owned?: ObservedRunner[];
  /** Verify results keyed by the local runner's index in config.toml. */
  tokenChecks: Map<number, TokenCheck>;
  /**
   * Runners the local config names (by id) whose details show they are not this entry's own
   * (another runner type, or another group's or project's): never ours to reset, update or
   * delete (runner id → `runner_type`).
   */
  otherTypes?: Map<number, string>;
  /**
   * Runners a verified local token proved, that match the listing's own filter (both tags, an
   * owned description, the scope's own runner) and that the listing still left out: the listing
   * contradicts the tokens (an empty or short page) and is not trusted for deletions or
   * registrations. Absent or empty normally.
   */
  listingContradicted?: number[];
  /**
   * Runners of this scope the listing shows with this host's tags and an owned description whose
   * details GitLab refuses (403), counted as this host's: a verified local token leads to them,
   * or (project scope) nothing else can make the listing show them. Not given up: like
   * {@link listingContradicted}, no registrations or deletions this run. Absent or empty normally.
   */
  unreadable?: number[];
  /**
   * Local entries (config.toml index → runner id) whose token GitLab accepts but whose runner
   * the scope's listing does not show and whose details GitLab refuses (403): another group's or
   * project's runner (the configured scope changed?). Left in GitLab with a warning.
   */
  refused?: Map<number, number>;
  /** The runners this GitLab's entry manages, resolved (absent: instance runners). */
  scope?: RunnerScope;
  /** Warnings about the access token (e.g. close to expiry), for the report. */
  warnings?: string[];
  /**
   * Local entries (config.toml index) whose token GitLab accepts but whose runner is another
   * host's or instance's: its description (GitLab's current one, else the entry's name) is in
   * register-runner's form for another host or instance (a config copied from there: a cloned VM
   * image, a copied instance). Never adopted, renamed, retagged, reset or deleted; the entry
   * leaves this config with a warning. Absent or empty normally.
   */
  foreign?: Map<number, ForeignRunner>;
}

/** A runner a local token leads to that belongs to another host or instance (see `foreign`). */
export interface ForeignRunner {
  /** GitLab's id: the one verify reported, else the one the config entry holds (if any). */
  id?: number;
  /** The description that names the other owner. */
  description: string;
  /** Where {@link description} comes from. */
  from: "gitlab" | "config";
  /** The host and instance it names. */
  owner: { hostname: string; instance: string };
}

/**
 * One line of the ownership record: the executor file a runner belongs to. Written after every
 * sync (`runner_config/ownership_record.ts`) and for each new runner in the token journal, so it
 * survives gitlab-runner rewriting config.toml (which drops unknown keys and comments).
 */
export interface RunnerRecord {
  /** Normalised client key of the GitLab. */
  clientKey: string;
  /** Executor file stem. */
  key: string;
  /** GitLab's runner id. */
  id: number;
  /** The runner's description when it was recorded. */
  description: string;
}
