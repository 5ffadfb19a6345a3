/**
 * The existing output `{prefix}/config.{instance}.toml`, written by register-runner, by
 * gitlab-runner (when it rotates tokens) or by the Python tool: its exact text and its runners'
 * names, URLs, ids, tokens and token times.
 *
 * @module
 */

import { TomlDate } from "smol-toml";
import type { InputError } from "../kernel/errors.ts";
import { knownTime, type LocalConfig, type LocalRunner } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { readTextFile, shellQuote, statIfExists } from "./fs.ts";
import type { KeyPath } from "./key_lines.ts";
import { MAX_TOML_BYTES, parseToml, TomlDoc } from "./toml_file.ts";
import { describeValue, isTable } from "./values.ts";

function moveAsideHint(path: string): string {
  const moved = shellQuote(`${path}.broken`);
  return `Fix the file, or move it aside (mv ${shellQuote(path)} ${moved}): register-runner then ` +
    "recovers the runners' tokens from GitLab.";
}

/**
 * Reads and parses the existing config; undefined when the file does not exist. Any unreadable,
 * unparsable or ill-typed content is an InputError naming the file, key and line.
 */
export async function loadLocalConfig(path: string): Promise<LocalConfig | undefined> {
  if ((await statIfExists(path)) === undefined) return undefined;
  return parseLocalConfig(path, await readTextFile(path, MAX_TOML_BYTES));
}

/** Parses the text of the config at `path` (already read); errors as {@link loadLocalConfig}. */
export function parseLocalConfig(path: string, text: string): LocalConfig {
  const hint = moveAsideHint(path);
  const doc = new TomlDoc(path, text, parseToml(text, path, hint));
  const raw = doc.data.runners;
  if (raw === undefined) return { text, runners: [] };
  if (!Array.isArray(raw)) {
    throw doc.error(
      ["runners"],
      `must be an array of tables ([[runners]]), not ${describeValue(raw)}`,
      hint,
    );
  }
  const runners = raw.map((entry: unknown, index) => {
    if (!isTable(entry)) throw doc.error(["runners", index], "must be a table", hint);
    return localRunner(doc, index, entry, hint);
  });
  return { text, runners };
}

function localRunner(
  doc: TomlDoc,
  index: number,
  entry: Record<string, unknown>,
  hint: string,
): LocalRunner {
  const at = (key: string): KeyPath => ["runners", index, key];
  const wrong = (key: string, expected: string): InputError =>
    doc.error(at(key), `must be ${expected}, not ${describeValue(entry[key])}`, hint);
  const optionalString = (key: string): string | undefined => {
    const value = entry[key];
    if (value === undefined || typeof value === "string") return value;
    throw wrong(key, "a string");
  };
  const runner: LocalRunner = { index };
  const name = optionalString("name") || optionalString("description");
  if (name) runner.name = name;
  const url = optionalString("url");
  if (url) runner.url = url;
  const id = entry.id;
  if (id !== undefined) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      throw wrong("id", "a non-negative integer");
    }
    if (id > 0) runner.id = id;
  }
  const token = optionalString("token");
  // Checked even without a token: an ill-typed time is an error wherever it is.
  const obtainedAt = isoTime(doc, at("token_obtained_at"), entry.token_obtained_at, hint);
  const expiresAt = isoTime(doc, at("token_expires_at"), entry.token_expires_at, hint);
  if (token) runner.token = { token: new Secret(token), obtainedAt, expiresAt };
  return runner;
}

/**
 * A TOML date-time as UTC ISO-8601 to the second (`2025-12-07T05:27:35Z`); absent or
 * gitlab-runner's zero time (unknown, or never expires) is `undefined`. A local date-time (no
 * offset) is read as UTC.
 */
function isoTime(doc: TomlDoc, path: KeyPath, value: unknown, hint: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof TomlDate && value.isDateTime() && !Number.isNaN(value.getTime())) {
    return knownTime(new Date(value.getTime()).toISOString().replace(/\.\d+Z$/, "Z"));
  }
  throw doc.error(
    path,
    `must be a date-time such as 2025-12-07T05:27:35Z, not ${describeValue(value)}`,
    hint,
  );
}
