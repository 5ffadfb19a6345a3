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
  /** Where this client was declared, for error messages. */
  source: SourceRef;
}

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

/** A `[[runners]]` entry read from the existing `config.{instance}.toml`. */
export interface LocalRunner {
  /** Index in the file's `runners` array. */
  index: number;
  /** `name` (ours) or `description` (written by the Python tool). */
  name?: string;
  url?: string;
  id?: number;
  token?: Secret;
  /** ISO-8601 UTC, as written in the file (zero time means unknown). */
  tokenObtainedAt?: string;
  tokenExpiresAt?: string;
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
    /** `null` when unset (or hidden from the caller). */
    maintenance_note: string | null;
  };
  /** Only on LLNL-patched GitLab (or < 13.0): the runner's current token. */
  token?: Secret;
}

/** What a `POST /runners/verify` said about a local token. */
export type TokenCheck =
  | { status: "valid"; runnerId?: number; tokenExpiresAt?: string | null }
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
}
