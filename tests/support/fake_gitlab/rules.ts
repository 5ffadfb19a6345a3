/**
 * GitLab's model rules for runners, as pure functions: validations, online/stale status and
 * who may read or change a runner.
 *
 * @module
 */

import { canAdminRunner, canAdminRunnersOf, canReadRunner } from "./groups.ts";
import type { FakeRunner, FakeState, FakeUser } from "./state.ts";

/** ActiveRecord-style errors: attribute → messages. Empty when valid. */
export type ModelErrors = Record<string, string[]>;

/** The attributes `Ci::Runner` validates. */
export type ValidatedAttributes = Pick<
  FakeRunner,
  "description" | "tag_list" | "run_untagged" | "maximum_timeout" | "maintenance_note"
>;

/** Max number of tags (`Ci::Runner::TAG_LIST_MAX_LENGTH`). */
export const MAX_TAGS = 50;
/** Max length of `description` and `maintenance_note`. */
export const MAX_TEXT = 1024;
/** Minimum `maximum_timeout` in seconds. */
export const MIN_TIMEOUT = 600;
/** A runner contacted within this window is online (`ONLINE_CONTACT_TIMEOUT`). */
export const ONLINE_MS = 2 * 3600 * 1000;
/** A runner neither created nor contacted within this window is stale (`STALE_TIMEOUT`). */
export const STALE_MS = 7 * 24 * 3600 * 1000;

/** `Ci::Runner` validations. */
export function validateRunner(attrs: ValidatedAttributes): ModelErrors {
  const errors: ModelErrors = {};
  const add = (key: string, message: string) => (errors[key] ??= []).push(message);
  if (attrs.description.length > MAX_TEXT) {
    add("description", `is too long (maximum is ${MAX_TEXT} characters)`);
  }
  if ((attrs.maintenance_note ?? "").length > MAX_TEXT) {
    add("maintenance_note", `is too long (maximum is ${MAX_TEXT} characters)`);
  }
  if (attrs.tag_list.length > MAX_TAGS) {
    add("tags_list", `Too many tags specified. Please limit the number of tags to ${MAX_TAGS}`);
  }
  if (attrs.tag_list.length === 0 && !attrs.run_untagged) {
    add("tags_list", "can not be empty when runner is not allowed to pick untagged jobs");
  }
  if (attrs.maximum_timeout !== null && attrs.maximum_timeout < MIN_TIMEOUT) {
    add("maximum_timeout", "needs to be at least 10 minutes");
  }
  return errors;
}

/** Whether `validateRunner` found anything. */
export function hasErrors(errors: ModelErrors): boolean {
  return Object.keys(errors).length > 0;
}

/** Rails' `errors.full_messages.to_sentence`, e.g. `Maximum timeout needs to be at least 10 minutes`. */
export function errorSentence(errors: ModelErrors): string {
  const messages = Object.entries(errors).flatMap(([key, list]) => {
    const human = key.replaceAll("_", " ");
    const attr = human.charAt(0).toUpperCase() + human.slice(1);
    return list.map((message) => `${attr} ${message}`);
  });
  if (messages.length <= 2) return messages.join(" and ");
  return `${messages.slice(0, -1).join(", ")}, and ${messages.at(-1)}`;
}

/** The runner's REST status (`deprecated_rest_status`, what every version's entity exposes). */
export type RunnerStatus = "online" | "offline" | "stale" | "never_contacted" | "paused";

/** Contacted within the last two hours. */
export function isOnline(runner: FakeRunner, now: Date): boolean {
  return runner.contacted_at !== null &&
    now.getTime() - Date.parse(runner.contacted_at) < ONLINE_MS;
}

/** Neither created nor contacted within the last seven days. */
export function isStale(runner: FakeRunner, now: Date): boolean {
  const last = Math.max(Date.parse(runner.created_at), Date.parse(runner.contacted_at ?? "0"));
  return now.getTime() - last >= STALE_MS;
}

/**
 * `Ci::Runner#deprecated_rest_status` (app/models/ci/runner.rb), which the REST entity exposes as
 * `status` in every version: a contacted, paused runner is `paused`.
 */
export function runnerStatus(runner: FakeRunner, now: Date): RunnerStatus {
  if (isStale(runner, now)) return "stale";
  if (runner.contacted_at === null) return "never_contacted";
  if (runner.paused) return "paused";
  return isOnline(runner, now) ? "online" : "offline";
}

/** `update_runner` / `delete_runner`: admins; group owners; project maintainers (`groups.ts`). */
export function canManage(state: FakeState, user: FakeUser, runner: FakeRunner): boolean {
  return canAdminRunner(state, user, runner);
}

/** `read_runner`: instance runners are readable by every signed-in user (`groups.ts`). */
export function canRead(state: FakeState, user: FakeUser, runner: FakeRunner): boolean {
  return runner.runner_type === "instance_type" || canReadRunner(state, user, runner);
}

/**
 * The runners `GET /runners` lists for a user (`User#ci_owned_runners`): group/project runners the
 * user manages through memberships; an admin's own memberships only, not every runner.
 */
export function ownedRunners(state: FakeState, user: FakeUser): FakeRunner[] {
  const member = { ...user, admin: false };
  return [...state.runners.values()].filter((runner) =>
    runner.runner_type !== "instance_type" && canAdminRunner(state, member, runner)
  );
}

/** May `user` create a runner of this kind in this group/project? (`create_runners`) */
export function canCreate(
  state: FakeState,
  user: FakeUser,
  target: { groupId?: number; projectId?: number },
): boolean {
  return canAdminRunnersOf(state, user, target);
}
