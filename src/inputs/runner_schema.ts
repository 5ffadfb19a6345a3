/**
 * gitlab-runner's config.toml key schema (embedded as data in `runner_schema.json`, generated from
 * gitlab-runner's Go structs by `scripts/refresh_runner_schema.ts`) and the check that finds keys
 * it does not know: typos, or keys of a gitlab-runner newer than the embedded one.
 *
 * Keys match the way gitlab-runner's TOML decoder matches them: exactly, or else ignoring case.
 *
 * @module
 */

import type { InputError } from "../kernel/errors.ts";
import data from "./runner_schema.json" with { type: "json" };
import type { KeyPath } from "./key_lines.ts";
import { didYouMean } from "./keys.ts";
import type { TomlDoc } from "./toml_file.ts";
import { isTable } from "./values.ts";

/** The embedded schema file's shape (see scripts/refresh_runner_schema.ts). */
interface SchemaFile {
  gitlab_runner: string;
  roots: { global: string; runner: string };
  tables: Record<string, { source: string; keys: Record<string, string> }>;
}

const SCHEMA = data as SchemaFile;

/** The gitlab-runner version the embedded schema was generated from, e.g. `v19.3.0`. */
export const RUNNER_SCHEMA_VERSION: string = SCHEMA.gitlab_runner;

/** A struct of the schema: its keys and what each holds. */
export interface SchemaTable {
  /** Key → kind (`string`, `map`, `table NAME`, `array NAME`, `map NAME`, …). */
  readonly keys: Readonly<Record<string, string>>;
}

/** The table of `name`; throws on a name the schema lacks (a bug, not an input problem). */
export function schemaTable(name: string): SchemaTable {
  const table = Object.hasOwn(SCHEMA.tables, name) ? SCHEMA.tables[name] : undefined;
  if (table === undefined) throw new Error(`runner schema has no table ${name}`);
  return table;
}

/** The global section of config.toml (gitlab-runner's `common.Config`). */
export const GLOBAL_TABLE: SchemaTable = schemaTable(SCHEMA.roots.global);

/** One `[[runners]]` entry (gitlab-runner's `common.RunnerConfig`). */
export const RUNNER_TABLE: SchemaTable = schemaTable(SCHEMA.roots.runner);

/**
 * The schema key `key` stands for in `table`: itself when exact, else the one equal to it ignoring
 * case (gitlab-runner's decoder accepts `type` for `Type`), else undefined.
 */
export function knownKey(table: SchemaTable, key: string): string | undefined {
  if (Object.hasOwn(table.keys, key)) return key;
  const lower = key.toLowerCase();
  return Object.keys(table.keys).find((k) => k.toLowerCase() === lower);
}

/** A key the schema does not know. */
export interface UnknownKey {
  /** Where it is in the file (for the line), e.g. `["docker", "imagee"]`. */
  path: KeyPath;
  /** Its config.toml name, as `gitlab-runner lint` prints it and `allow_unknown_keys` takes it. */
  name: string;
  /** The closest known key of its table, when one is close. */
  suggestion?: string;
}

/** Where to start checking and which unknown keys to let through. */
export interface UnknownKeyOptions {
  /** The value's path in the file. */
  path: KeyPath;
  /** The value's config.toml name prefix: `""` for the global section, `runners` for a runner. */
  name: string;
  /** Keys (config.toml names) allowed although the schema lacks them; a key allows its subtree. */
  allow: ReadonlySet<string>;
  /** Top-level keys checked elsewhere (register-runner's own keys). */
  skip?: (key: string) => boolean;
  /** Top-level schema keys that count only when spelt exactly (register-runner reads them). */
  exact?: readonly string[];
  /** The "did you mean" candidates at the top level (default: the table's keys). */
  candidates?: readonly string[];
}

/** Every key under `value` (a table of kind `table`) that the schema does not know, in file order. */
export function findUnknownKeys(
  table: SchemaTable,
  value: Record<string, unknown>,
  options: UnknownKeyOptions,
): UnknownKey[] {
  const out: UnknownKey[] = [];
  walk(table, value, options.path, options.name, options, true, out);
  return out;
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function allowed(name: string, allow: ReadonlySet<string>): boolean {
  if (allow.has(name)) return true;
  for (let dot = name.lastIndexOf("."); dot > 0; dot = name.lastIndexOf(".", dot - 1)) {
    if (allow.has(name.slice(0, dot))) return true;
  }
  return false;
}

function walk(
  table: SchemaTable,
  value: Record<string, unknown>,
  path: KeyPath,
  prefix: string,
  options: UnknownKeyOptions,
  top: boolean,
  out: UnknownKey[],
): void {
  for (const [key, item] of Object.entries(value)) {
    if (top && options.skip?.(key)) continue;
    const name = join(prefix, key);
    const here = [...path, key];
    let known = knownKey(table, key);
    if (top && known !== key && known !== undefined && options.exact?.includes(known)) {
      known = undefined;
    }
    if (known === undefined) {
      if (allowed(name, options.allow)) continue;
      const candidates = (top ? options.candidates : undefined) ?? Object.keys(table.keys);
      const unknown: UnknownKey = { path: here, name };
      const best = didYouMean(key, candidates);
      if (best !== undefined) unknown.suggestion = best;
      out.push(unknown);
      continue;
    }
    const kind = table.keys[known] as string;
    const [shape, ref] = kind.split(" ");
    if (ref === undefined) continue;
    const inner = schemaTable(ref);
    if (shape === "table" && isTable(item)) {
      walk(inner, item, here, name, options, false, out);
    } else if (shape === "array" && Array.isArray(item)) {
      item.forEach((entry, i) => {
        if (isTable(entry)) walk(inner, entry, [...here, i], name, options, false, out);
      });
    } else if (shape === "map" && isTable(item)) {
      for (const [k, entry] of Object.entries(item)) {
        if (isTable(entry)) walk(inner, entry, [...here, k], join(name, k), options, false, out);
      }
    }
  }
}

/**
 * Whether the schema knows the config.toml key `name` (`runners.docker.image`): each part a key of
 * the table the previous part leads to; any key under a free-form table (`labels.x`) counts.
 */
export function schemaKnows(name: string): boolean {
  let table: SchemaTable | undefined = GLOBAL_TABLE;
  const parts = name.split(".");
  for (const [i, part] of parts.entries()) {
    if (table === undefined) return true;
    const known = knownKey(table, part);
    if (known === undefined) return false;
    if (i === parts.length - 1) return true;
    const kind: string = table.keys[known] as string;
    const [shape, ref] = kind.split(" ");
    if (ref === undefined) return shape === "map" || shape === "any";
    table = shape === "map" ? undefined : schemaTable(ref);
  }
  return true;
}

/** The `FILE: key … (line N): unknown key …` problem for `unknown`, with how to fix or allow it. */
export function unknownKeyError(
  doc: TomlDoc,
  unknown: UnknownKey,
  templateFile: string,
): InputError {
  const hint = unknown.suggestion === undefined ? "" : ` Did you mean \`${unknown.suggestion}\`?`;
  return doc.error(
    unknown.path,
    `unknown key: gitlab-runner ${RUNNER_SCHEMA_VERSION} has no \`${unknown.name}\`.${hint}`,
    `${
      unknown.suggestion === undefined ? "Remove it" : `Rename it to \`${unknown.suggestion}\``
    }. ` +
      `If it is a key of a gitlab-runner newer than ${RUNNER_SCHEMA_VERSION}, allow it in ` +
      `${templateFile}: allow_unknown_keys = [${JSON.stringify(unknown.name)}]`,
  );
}
