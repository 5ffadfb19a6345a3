/**
 * The runner attributes shared by `POST /runners`, `POST /user/runners` and `PUT /runners/:id`,
 * read with Grape's coercions (`active`/`paused` and `maintainer_note`/`maintenance_note` are
 * mutually exclusive; `active` and `maintainer_note` are the deprecated spellings).
 *
 * @module
 */

import {
  mutuallyExclusive,
  optBool,
  optEnum,
  optInt,
  optString,
  optTagList,
  type Params,
} from "./params.ts";
import type { BehaviourOptions } from "./options.ts";
import { ACCESS_LEVELS, type FakeRunner } from "./state.ts";

/** The server-side attributes a request may set. */
export type RunnerAttributes = Partial<
  Pick<
    FakeRunner,
    | "description"
    | "paused"
    | "locked"
    | "run_untagged"
    | "tag_list"
    | "access_level"
    | "maximum_timeout"
    | "maintenance_note"
  >
>;

/**
 * The parameter names `PUT /runners/:id` declares in this version (its `at_least_one_of` list):
 * `paused` from 14.8, `maintenance_note` from 16.10 (MR !144482).
 */
export function updatableParams(options: VersionGates): string[] {
  return [
    "description",
    "active",
    ...(options.pausedParam ? ["paused"] : []),
    "tag_list",
    "run_untagged",
    "locked",
    "access_level",
    "maximum_timeout",
    ...(options.maintenanceNote ? ["maintenance_note"] : []),
  ];
}

/** The version switches that decide which attributes an endpoint declares. */
export type VersionGates = Pick<BehaviourOptions, "pausedParam" | "maintenanceNote">;

/**
 * Reads the attributes present in `params` that the endpoint declares in this version; Grape
 * drops undeclared ones silently (`declared_params(include_missing: false)`). `PUT` declares
 * `maintenance_note` from 16.10; the creation endpoints take it (`POST /user/runners` from its
 * start; `POST /runners` from about 15.0, a guess: the fake accepts it on every version, where
 * it is only visible from 16.10 anyway). Throws `GrapeError` on invalid values.
 */
export function readAttributes(
  raw: Params,
  options: VersionGates,
  endpoint: "create" | "update",
): RunnerAttributes {
  const params: Params = { ...raw };
  if (!options.pausedParam) delete params.paused;
  if (endpoint === "update" && !options.maintenanceNote) {
    delete params.maintenance_note;
    delete params.maintainer_note;
  }
  mutuallyExclusive(params, "active", "paused");
  mutuallyExclusive(params, "maintainer_note", "maintenance_note");
  const attrs: RunnerAttributes = {};
  const description = optString(params, "description");
  if (description !== undefined) attrs.description = description;
  const active = optBool(params, "active");
  const paused = optBool(params, "paused") ?? (active === undefined ? undefined : !active);
  if (paused !== undefined) attrs.paused = paused;
  const locked = optBool(params, "locked");
  if (locked !== undefined) attrs.locked = locked;
  const runUntagged = optBool(params, "run_untagged");
  if (runUntagged !== undefined) attrs.run_untagged = runUntagged;
  const tags = optTagList(params, "tag_list");
  if (tags !== undefined) attrs.tag_list = tags;
  const accessLevel = optEnum(params, "access_level", ACCESS_LEVELS);
  if (accessLevel !== undefined) attrs.access_level = accessLevel;
  const timeout = optInt(params, "maximum_timeout");
  if (timeout !== undefined) attrs.maximum_timeout = timeout;
  const note = optString(params, "maintenance_note") ?? optString(params, "maintainer_note");
  if (note !== undefined) attrs.maintenance_note = note;
  return attrs;
}

/** The attributes of a new runner: GitLab's defaults overridden by `attrs`. */
export function newRunnerAttributes(attrs: RunnerAttributes): Required<RunnerAttributes> {
  return {
    description: "",
    paused: false,
    locked: false,
    run_untagged: true,
    tag_list: [],
    access_level: "not_protected",
    maximum_timeout: null,
    maintenance_note: null,
    ...attrs,
  };
}
