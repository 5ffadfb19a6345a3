/**
 * Type checks for TOML values: what a value is, in words a user understands, and whether it has
 * the shape a key expects.
 *
 * @module
 */

import { TomlDate } from "smol-toml";

/** What a parsed TOML value is. */
export type Kind = "string" | "integer" | "float" | "boolean" | "datetime" | "array" | "table";

/**
 * What a key accepts: a kind, a string array, a table of strings or booleans, a duration
 * (gitlab-runner accepts `"15m"` or integer nanoseconds), one of a list of strings (exactly, or
 * in any letter case: `{ anyCase }`, for values gitlab-runner lowercases first), or anything.
 */
export type Expect =
  | Kind
  | "string[]"
  | "string-table"
  | "boolean-table"
  | "duration"
  | "any"
  | readonly string[]
  | { readonly anyCase: readonly string[] };

/** True for a TOML table (a plain object, not an array or a date). */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** The TOML kind of a parsed value. */
export function kindOf(value: unknown): Kind {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "float";
  if (typeof value === "bigint") return "integer";
  if (value instanceof TomlDate || value instanceof Date) return "datetime";
  if (Array.isArray(value)) return "array";
  return "table";
}

const ARTICLE: Record<Kind, string> = {
  string: "a string",
  integer: "an integer",
  float: "a float",
  boolean: "a boolean",
  datetime: "a date/time",
  array: "an array",
  table: "a table",
};

/** `a string`, `an integer`… for a parsed value. */
export function describeValue(value: unknown): string {
  return ARTICLE[kindOf(value)];
}

function isAnyCase(expect: Expect): expect is { readonly anyCase: readonly string[] } {
  return typeof expect === "object" && !Array.isArray(expect);
}

/** Words for what `expect` accepts, e.g. `an array of strings`. */
export function describeExpect(expect: Expect): string {
  if (isAnyCase(expect)) {
    return `one of ${expect.anyCase.map((v) => `"${v}"`).join(", ")} (in any letter case)`;
  }
  if (typeof expect !== "string") return `one of ${expect.map((v) => `"${v}"`).join(", ")}`;
  switch (expect) {
    case "string[]":
      return "an array of strings";
    case "string-table":
      return "a table of strings";
    case "boolean-table":
      return "a table of booleans";
    case "duration":
      return 'a duration (a string such as "15m", or an integer)';
    case "any":
      return "any value";
    default:
      return ARTICLE[expect];
  }
}

/**
 * Checks `value` against `expect`. Returns undefined when it fits, else what is wrong
 * (`must be an integer, not a string`).
 */
export function checkValue(value: unknown, expect: Expect): string | undefined {
  const ok = fits(value, expect);
  if (ok) return undefined;
  if (typeof expect !== "string" && typeof value === "string") {
    return `must be ${describeExpect(expect)}, not "${value.slice(0, 64)}"`;
  }
  return `must be ${describeExpect(expect)}, not ${describeValue(value)}`;
}

function fits(value: unknown, expect: Expect): boolean {
  if (isAnyCase(expect)) {
    return typeof value === "string" && expect.anyCase.includes(value.toLowerCase());
  }
  if (typeof expect !== "string") return typeof value === "string" && expect.includes(value);
  switch (expect) {
    case "any":
      return true;
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "string-table":
      return isTable(value) && Object.values(value).every((v) => typeof v === "string");
    case "boolean-table":
      return isTable(value) && Object.values(value).every((v) => typeof v === "boolean");
    case "duration":
      return typeof value === "string" || kindOf(value) === "integer";
    default:
      return kindOf(value) === expect;
  }
}
