/**
 * Reading and parsing one TOML input file, with errors that name the file, line and column (and
 * never show a secret), and a {@link TomlDoc} that locates keys for later validation messages.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { InputError } from "../kernel/errors.ts";
import type { SourceRef } from "../kernel/model.ts";
import { readTextFile } from "./fs.ts";
import { findKeyLine, formatKeyPath, indexKeyLines, type KeyPath } from "./key_lines.ts";
import { formatWhere, inputErrorAt } from "./problems.ts";
import { maskSecretValues, maskTokens } from "./secrets.ts";
import { isTable } from "./values.ts";

/** The largest TOML input read (8 MiB): far above any real template, executor or config file. */
export const MAX_TOML_BYTES = 8 * 1024 * 1024;

/** The hint for a syntax error in a file the user writes. */
export const SYNTAX_HINT = "Fix the TOML syntax at that place (see https://toml.io).";

/** Deepest nesting of inline arrays and tables accepted. */
const MAX_DEPTH = 64;

/** Redacts the values of secret-looking keys and variables, and anything token-like, on a line. */
export function redactLine(line: string): string {
  return maskSecretValues(line);
}

/** Up to three source lines around `line`, secrets redacted, with a caret under `column`. */
export function excerpt(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const width = String(line + 1).length;
  const out: string[] = [];
  for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line + 1); n++) {
    let source = redactLine(lines[n - 1] ?? "").replace(/\t/g, " ")
      .replace(/\p{Cc}/gu, "?");
    let caret = column - 1;
    if (source.length > 160) {
      const start = n === line ? Math.max(0, Math.min(caret - 80, source.length - 160)) : 0;
      source = source.slice(start, start + 160);
      caret -= start;
    }
    out.push(`${String(n).padStart(width)} | ${source}`);
    if (n === line) out.push(`${" ".repeat(width)} | ${" ".repeat(Math.max(0, caret))}^`);
  }
  return out.join("\n");
}

/**
 * Parses TOML `text` from `file`. A syntax error becomes an InputError:
 * `Invalid TOML in FILE at line L, column C: <reason>` plus an excerpt, with `hint`.
 */
export function parseToml(text: string, file: string, hint: string): Record<string, unknown> {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  try {
    return plain(parse(source, { maxDepth: MAX_DEPTH, unsafeKeyBehaviour: "throw" }));
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
      const snippet = excerpt(source, error.line, error.column);
      return throwSyntax(
        `Invalid TOML in ${file} at line ${error.line}, column ${error.column}: ${reason}\n${snippet}`,
        { file, line: error.line },
        hint,
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    return throwSyntax(`Invalid TOML in ${file}: ${reason}`, { file }, hint);
  }
}

/** Copies the parser's null-prototype tables into ordinary objects (arrays and dates kept). */
function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (isTable(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T;
  }
  return value;
}

function throwSyntax(message: string, where: SourceRef, hint: string): never {
  // No `cause`: the parser's own message quotes source lines, which may hold a secret.
  throw new InputError(message, { where, hint });
}

/** A parsed TOML file that can say where a key is and word problems about it. */
export class TomlDoc {
  /** Absolute path of the file. */
  readonly file: string;
  /** The file's text as read. */
  readonly text: string;
  /** The parsed top-level table. */
  readonly data: Record<string, unknown>;
  #index: Map<string, number> | undefined;

  /** Wraps an already parsed file. */
  constructor(file: string, text: string, data: Record<string, unknown>) {
    this.file = file;
    this.text = text;
    this.data = data;
  }

  /** Where `path` is: file, formatted key and line (when found). */
  at(path: KeyPath): SourceRef {
    this.#index ??= indexKeyLines(this.text);
    const where: SourceRef = { file: this.file };
    if (path.length > 0) where.key = formatKeyPath(path);
    const line = path.length > 0 ? findKeyLine(this.text, path, this.#index) : undefined;
    if (line !== undefined) where.line = line;
    return where;
  }

  /** An InputError about `path`: `FILE: key \`k\` (line 7): what`. */
  error(path: KeyPath, what: string, hint?: string): InputError {
    return inputErrorAt(this.at(path), what, hint);
  }

  /** A warning line about `path`, worded like {@link TomlDoc.error}. */
  warning(path: KeyPath, what: string): string {
    return `${formatWhere(this.at(path))}: ${maskTokens(what)}`;
  }
}

/** Reads and parses `file` (InputError on any failure; `syntaxHint` for syntax errors). */
export async function readTomlDoc(file: string, syntaxHint: string): Promise<TomlDoc> {
  const text = await readTextFile(file, MAX_TOML_BYTES);
  return new TomlDoc(file, text, parseToml(text, file, syntaxHint));
}
