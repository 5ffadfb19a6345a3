/**
 * The shapes the GitLab client exchanges: what GitLab sends on the wire (`Wire*`, loosely typed
 * because fields come and go between GitLab versions) and the typed values the client returns.
 *
 * @module
 */

import type { RunnerToken, ServerAttributes } from "../kernel/model.ts";
import type { Secret } from "../kernel/secret.ts";

/** One entry of `GET /runners/all` as GitLab sends it (fields vary by version). */
export interface WireRunner {
  id?: unknown;
  description?: unknown;
  /** Deprecated (14.8) but still sent; the only pause flag on 13.x. */
  active?: unknown;
  /** 14.8+. */
  paused?: unknown;
  /** ~14.x+. */
  runner_type?: unknown;
  status?: unknown;
}

/** `GET /runners/:id` as GitLab sends it. */
export interface WireRunnerDetails extends WireRunner {
  tag_list?: unknown;
  run_untagged?: unknown;
  locked?: unknown;
  access_level?: unknown;
  maximum_timeout?: unknown;
  maintenance_note?: unknown;
  /** The name `maintenance_note` had before 15.x. */
  maintainer_note?: unknown;
  /** Only on LLNL-patched GitLab (or < 13.0). */
  token?: unknown;
  /** The runner's groups the caller may see (`BasicGroupDetails`: id, web_url, name). */
  groups?: unknown;
  /** The runner's projects the caller may see (`BasicProjectDetails`). */
  projects?: unknown;
}

/** A runner from the listing. List entries carry no tags: call {@link RunnerDetails} for those. */
export interface RunnerSummary {
  id: number;
  /** `""` when GitLab has none. */
  description: string;
  /** From `paused`, or `!active` on GitLab 13.x. */
  paused: boolean;
  /** `instance_type`, `group_type` or `project_type`; absent on 13.x. */
  runner_type?: string;
  /** `online`, `offline`, `stale`, `never_contacted` or `paused`. */
  status?: string;
}

/** A runner's details (`GET /runners/:id`). */
export interface RunnerDetails extends RunnerSummary {
  tag_list: string[];
  run_untagged: boolean;
  locked: boolean;
  /** `not_protected` or `ref_protected` (kept as sent). */
  access_level: string;
  /** Seconds; `0` when GitLab has no maximum timeout set (it sends `null`). */
  maximum_timeout: number;
  /**
   * `""` when GitLab has none, or hides it from a caller that may not update the runner; absent
   * when this GitLab has no such field (before 16.10): unknown, never compared or sent.
   */
  maintenance_note?: string;
  /** The runner's current token: only LLNL-patched GitLab (or < 13.0) exposes it. */
  token?: Secret;
  /** Ids of the runner's groups the caller may see; absent when GitLab sent no `groups`. */
  groupIds?: number[];
  /** Ids of the runner's projects the caller may see; absent when GitLab sent no `projects`. */
  projectIds?: number[];
}

/** What `createRunner` and `registerRunner` send besides credentials. */
export type CreateRunnerParams = ServerAttributes & {
  description: string;
  tag_list: string[];
};

/** The attributes `PUT /runners/:id` can change; absent (or undefined) ones are left alone. */
export interface UpdateRunnerAttrs {
  description?: string | undefined;
  /** Replaces the whole tag list. */
  tag_list?: string[] | undefined;
  run_untagged?: boolean | undefined;
  locked?: boolean | undefined;
  paused?: boolean | undefined;
  access_level?: "not_protected" | "ref_protected" | undefined;
  maximum_timeout?: number | undefined;
  maintenance_note?: string | undefined;
}

/**
 * A runner token GitLab just issued for a new runner. Its `obtainedAt` is the client's clock when
 * the reply arrived; its `expiresAt` is as GitLab sent it (`undefined`: does not expire, or
 * GitLab < 15.3).
 */
export interface IssuedToken {
  /** The new runner's id. */
  id: number;
  token: RunnerToken;
}

/** What a delete found: the runner was deleted now, or it no longer existed. */
export type DeleteResult = "deleted" | "gone";
