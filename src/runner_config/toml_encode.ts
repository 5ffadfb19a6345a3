/**
 * A small TOML 1.0 encoder with exact control over order and layout, so register-runner's
 * output looks like what gitlab-runner itself writes (BurntSushi/toml):
 *
 * - within a table: inline values first (scalars, inline arrays), then sub-tables, then arrays of
 *   tables, each group in insertion order;
 * - key/value lines indented by one `indent` per table nesting level, headers by one less
 *   (`[[runners]]` at column 0, its keys and `[runners.docker]` at two spaces, `[runners.docker]`'s
 *   keys at four);
 * - a blank line before every top-level table and before every `[[array.of.tables]]` element.
 *
 * Supported values: strings, numbers (safe integers as TOML integers, everything else as floats,
 * including `inf`, `-inf`, `nan` and `-0.0`), bigints (64-bit range), booleans, `Date`s (and
 * smol-toml's `TomlDate`, whose local date/time forms are kept), arrays and plain objects.
 * `undefined` members are skipped; anything else (null, functions, class instances such as
 * `Secret` or `Map`) is a `TypeError`, so a secret can never be serialised by accident.
 *
 * @module
 */

/** Layout options for {@link encodeToml}. */
export interface EncodeOptions {
  /** Indentation per nesting level; default two spaces, like gitlab-runner. */
  indent?: string;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Encodes a plain object as a TOML document (ends with a newline unless empty). */
export function encodeToml(doc: Record<string, unknown>, options: EncodeOptions = {}): string {
  if (!isPlainObject(doc)) {
    throw new TypeError(`a TOML document must be a plain object, got ${describe(doc)}`);
  }
  const writer = new Writer(options.indent ?? "  ");
  writer.table([], doc, "root");
  return writer.text();
}

/** Encodes a string as a TOML basic string (double-quoted, escaped). */
export function encodeTomlString(value: string): string {
  if (!value.isWellFormed()) {
    throw new TypeError("a TOML string cannot hold a lone UTF-16 surrogate");
  }
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    out += ESCAPES[ch] ??
      (code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : ch);
  }
  return out + '"';
}

/** Encodes one key: bare when it only has `A-Za-z0-9_-`, quoted otherwise. */
export function encodeTomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : encodeTomlString(key);
}

/** Encodes a scalar or an inline array/table (the right-hand side of `key = …`). */
export function encodeTomlInline(value: unknown, path: readonly string[] = []): string {
  return inline(value, path, new Set());
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

type TableKind = "root" | "table" | "array";

class Writer {
  readonly #indent: string;
  readonly #lines: string[] = [];
  readonly #stack = new Set<object>();

  constructor(indent: string) {
    this.#indent = indent;
  }

  text(): string {
    return this.#lines.length === 0 ? "" : this.#lines.join("\n") + "\n";
  }

  table(path: readonly string[], obj: Record<string, unknown>, kind: TableKind): void {
    enter(this.#stack, obj, path);
    if (kind !== "root") {
      if ((kind === "array" || path.length === 1) && this.#lines.length > 0) this.#lines.push("");
      const name = path.map(encodeTomlKey).join(".");
      const header = kind === "array" ? `[[${name}]]` : `[${name}]`;
      this.#lines.push(this.#indent.repeat(path.length - 1) + header);
    }
    const tables: [string, Record<string, unknown>][] = [];
    const arrays: [string, Record<string, unknown>[]][] = [];
    const pad = this.#indent.repeat(path.length);
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      if (isPlainObject(value)) tables.push([key, value]);
      else if (isArrayOfTables(value)) arrays.push([key, value]);
      else {
        const rhs = inline(value, [...path, key], this.#stack);
        this.#lines.push(`${pad}${encodeTomlKey(key)} = ${rhs}`);
      }
    }
    for (const [key, value] of tables) this.table([...path, key], value, "table");
    for (const [key, list] of arrays) {
      for (const element of list) this.table([...path, key], element, "array");
    }
    this.#stack.delete(obj);
  }
}

function inline(value: unknown, path: readonly string[], stack: Set<object>): string {
  switch (typeof value) {
    case "string":
      return encodeTomlString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return encodeNumber(value);
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new RangeError(`${where(path)}: integer ${value} is outside TOML's 64-bit range`);
      }
      return value.toString();
  }
  if (value instanceof Date) return encodeDate(value, path);
  if (Array.isArray(value)) {
    enter(stack, value, path);
    const items = value.map((item, i) => inline(item, [...path, String(i)], stack));
    stack.delete(value);
    return `[${items.join(", ")}]`;
  }
  if (isPlainObject(value)) {
    enter(stack, value, path);
    const items: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) {
        items.push(`${encodeTomlKey(key)} = ${inline(item, [...path, key], stack)}`);
      }
    }
    stack.delete(value);
    return items.length === 0 ? "{}" : `{ ${items.join(", ")} }`;
  }
  throw new TypeError(`${where(path)}: cannot encode ${describe(value)} as TOML`);
}

function encodeNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0";
  if (Number.isSafeInteger(value)) return String(value);
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/**
 * `Date` → offset date-time in UTC (`2025-12-07T05:27:35Z`, milliseconds only when non-zero).
 * smol-toml's `TomlDate` renders itself as authored (local date, local time, other offsets).
 */
function encodeDate(value: Date, path: readonly string[]): string {
  if (Number.isNaN(value.getTime())) throw new RangeError(`${where(path)}: invalid date`);
  const iso = value.toISOString();
  if (iso.startsWith("+") || iso.startsWith("-")) {
    throw new RangeError(`${where(path)}: TOML dates need a year between 0000 and 9999`);
  }
  return iso.replace(/\.000(?=Z|[+-]\d\d:\d\d|$)/, "");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isArrayOfTables(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

function enter(stack: Set<object>, value: object, path: readonly string[]): void {
  if (stack.has(value)) throw new TypeError(`${where(path)}: cyclic value cannot be encoded`);
  stack.add(value);
}

function where(path: readonly string[]): string {
  return path.length === 0 ? "(document)" : path.map(encodeTomlKey).join(".");
}

/** Names a value's kind without showing it (it might be a secret). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name} instance` : "an object";
}
