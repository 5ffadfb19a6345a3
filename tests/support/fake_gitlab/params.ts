/**
 * Request parameters the way Grape sees them: query string and body (JSON, urlencoded or
 * multipart form) merged, Rack bracket notation (`tag_list[]=a`, `info[name]=x`), and Grape's
 * coercions and validation messages (`token is missing`, `scope does not have a valid value`).
 *
 * @module
 */

/** Parsed parameters. Values are strings, numbers, booleans, arrays or nested objects. */
export type Params = Record<string, unknown>;

/** A Grape validation failure: `400 {"error": message}`. */
export class GrapeError extends Error {
  /** Wraps Grape's message, e.g. `token is missing`. */
  constructor(message: string) {
    super(message);
    this.name = "GrapeError";
  }
}

/** The body did not parse as its declared content type. */
export const MALFORMED_BODY = "message body does not match declared format";

/** Sets `key` (with Rack bracket notation) to `value` in `target`. */
function assign(target: Params, key: string, value: string): void {
  const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
  if (match === null || match[2] === "") {
    target[key] = value;
    return;
  }
  const root = match[1] ?? key;
  const parts = [...(match[2] ?? "").matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? "");
  let node: Params = target;
  let name = root;
  for (const part of parts) {
    if (part === "") {
      const list = Array.isArray(node[name]) ? node[name] as unknown[] : [];
      list.push(value);
      node[name] = list;
      return;
    }
    const child = node[name];
    const next: Params = typeof child === "object" && child !== null && !Array.isArray(child)
      ? child as Params
      : {};
    node[name] = next;
    node = next;
    name = part;
  }
  node[name] = value;
}

/** Parses `key=value` pairs with Rack bracket notation; a repeated plain key keeps the last value. */
export function parsePairs(pairs: Iterable<[string, string]>): Params {
  const params: Params = {};
  for (const [key, value] of pairs) assign(params, key, value);
  return params;
}

/** The query string as a flat record; repeated keys are joined with `,`. */
export function flatQuery(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of search) out[key] = key in out ? `${out[key]},${value}` : value;
  return out;
}

/** The request body's parameters, or `null` when it is malformed. Other content types give `{}`. */
export async function readBody(req: Request): Promise<Params | null> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("application/json")) {
    const text = await req.text();
    if (text.trim() === "") return {};
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? value as Params
        : {};
    } catch {
      return null;
    }
  }
  if (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  ) {
    try {
      const form = await req.formData();
      const pairs: [string, string][] = [];
      for (const [key, value] of form) if (typeof value === "string") pairs.push([key, value]);
      return parsePairs(pairs);
    } catch {
      return null;
    }
  }
  await req.body?.cancel();
  return {};
}

/** Whether the parameter was sent at all (Grape's presence). */
export function given(params: Params, name: string): boolean {
  return params[name] !== undefined && params[name] !== null;
}

/** A required string; numbers are accepted as their decimal text. */
export function requireString(params: Params, name: string): string {
  const value = optString(params, name);
  if (value === undefined) throw new GrapeError(`${name} is missing`);
  return value;
}

/** An optional string. */
export function optString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new GrapeError(`${name} is invalid`);
}

const TRUE = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE = new Set(["0", "off", "f", "false", "n", "no"]);

/** An optional boolean with Grape's coercion (`"true"`, `"1"`, `"yes"` …). */
export function optBool(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  const text = String(value).toLowerCase();
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new GrapeError(`${name} is invalid`);
}

/** An optional integer (`600` or `"600"`). */
export function optInt(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) return Number(value.trim());
  throw new GrapeError(`${name} is invalid`);
}

/** An optional value from a fixed set. */
export function optEnum<T extends string>(
  params: Params,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = optString(params, name);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw new GrapeError(`${name} does not have a valid value`);
  }
  return value as T;
}

/**
 * An optional tag list as GitLab stores it: the API coercion splits an array or a string on
 * commas and strips each part (`lib/api/validations/types/comma_separated_to_array.rb`); the
 * model's parser (`lib/gitlab/ci/tags/parser.rb`) joins them with `", "`, takes out double-,
 * then single-quoted items (their quotes dropped), splits the rest on commas, and cleans the
 * list: blanks dropped, each stripped, duplicates removed (quoted items first).
 */
export function optTagList(params: Params, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const coerced: string[] = [];
  for (const item of items) {
    if (typeof item === "object" && item !== null) throw new GrapeError(`${name} is invalid`);
    for (const part of String(item).split(",")) coerced.push(part.trim());
  }
  return parseTagList(coerced.join(", "));
}

/** GitLab's `Gitlab::Ci::Tags::Parser#parse` then `TagList#clean!`. */
export function parseTagList(text: string): string[] {
  let rest = text;
  const found: string[] = [];
  for (const quote of ['"', "'"]) {
    const pattern = new RegExp(`(^|,)\\s*${quote}(.*?)${quote}\\s*(?=,\\s*|$)`, "g");
    rest = rest.replace(pattern, (_all, _lead, inner: string) => {
      found.push(inner);
      return "";
    });
  }
  found.push(...rest.split(","));
  const tags: string[] = [];
  for (const raw of found) {
    const tag = raw.trim();
    if (tag !== "" && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** An optional hash of strings (e.g. `info`). */
export function optStringMap(params: Params, name: string): Record<string, string> | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new GrapeError(`${name} is invalid`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string" || typeof item === "number") out[key] = String(item);
  }
  return out;
}

/** Grape's `mutually_exclusive`. */
export function mutuallyExclusive(params: Params, ...names: string[]): void {
  if (names.filter((name) => given(params, name)).length > 1) {
    throw new GrapeError(`${names.join(", ")} are mutually exclusive`);
  }
}

/** Grape's `at_least_one_of`. */
export function atLeastOneOf(params: Params, ...names: string[]): void {
  if (!names.some((name) => given(params, name))) {
    throw new GrapeError(
      `${names.join(", ")} are missing, at least one parameter must be provided`,
    );
  }
}
