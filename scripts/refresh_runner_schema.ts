/**
 * `deno task refresh-runner-schema CHECKOUT`: regenerates `src/inputs/runner_schema.json`, the
 * config.toml key schema register-runner checks templates and executor files against, from a
 * gitlab-runner source tree.
 *
 * It reads the Go structs reachable from gitlab-runner's `common.Config` (the whole config.toml)
 * and `common.RunnerConfig` (one `[[runners]]` entry), following types into other packages of the
 * module (`cache/cacheconfig`, `referees`, `common/config/runner`, …), and records each struct's
 * keys under their `toml:"…"` tag names, the way gitlab-runner's TOML decoder (BurntSushi/toml)
 * matches them: untagged exported fields by their Go name, `toml:"-"` and unexported fields
 * skipped, untagged embedded structs flattened into their parent. Types from outside the module
 * (Kubernetes' API, Docker's) are recorded as `any`: their inner keys are not checked.
 *
 * Usage:
 *   git -C gitlab-runner archive v19.3.0 | tar -x -C /tmp/glr
 *   deno task refresh-runner-schema /tmp/glr [--version v19.3.0] [--commit SHA] [--out FILE]
 *
 * `--version` defaults to the checkout's VERSION file. A plain Go tokenizer, not a Go parser: it
 * understands struct, map, slice, pointer and named types, which is all config structs use.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** The Go module path of gitlab-runner (imports under it are followed). */
export const MODULE = "gitlab.com/gitlab-org/gitlab-runner";

/** The structs the schema starts from. */
export const ROOTS = ["common.Config", "common.RunnerConfig"];

/**
 * What a key accepts, as stored in the schema: a leaf kind (`string`, `integer`, `float`,
 * `boolean`, `duration`, `datetime`, `list` (an array of values), `map` (a table with free keys),
 * `any`), or a reference to a struct: `table NAME`, `array NAME` (an array of tables), `map NAME`
 * (a table whose values are tables).
 */
export type FieldKind = string;

/** One struct's keys. */
export interface SchemaTable {
  /** The Go source file that declares the struct, relative to the checkout. */
  source: string;
  /** Key → kind, sorted by key. */
  keys: Record<string, FieldKind>;
}

/** The whole schema file. */
export interface RunnerSchema {
  $comment: string;
  gitlab_runner: string;
  commit?: string;
  roots: { global: string; runner: string };
  tables: Record<string, SchemaTable>;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

interface Token {
  kind: "ident" | "punct" | "string" | "number" | "newline";
  text: string;
}

/** Go source text as tokens; comments dropped, line ends kept (Go's implicit semicolons). */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: Token["kind"], text: string) => out.push({ kind, text });
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n") {
      push("newline", "\n");
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (src.startsWith("//", i)) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      const body = src.slice(i, end < 0 ? src.length : end + 2);
      if (body.includes("\n")) push("newline", "\n");
      i += body.length;
    } else if (c === "`") {
      const end = src.indexOf("`", i + 1);
      const stop = end < 0 ? src.length : end;
      push("string", src.slice(i + 1, stop));
      i = stop + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      push("string", src.slice(i + 1, j));
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j] as string)) j++;
      push("ident", src.slice(i, j));
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < src.length && /[0-9A-Za-z_.]/.test(src[j] as string)) j++;
      push("number", src.slice(i, j));
      i = j;
    } else {
      push("punct", c);
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Types

/** A Go type expression, as far as config structs need. */
export type GoType =
  | { t: "name"; pkg?: string; name: string }
  | { t: "ptr"; elem: GoType }
  | { t: "slice"; elem: GoType }
  | { t: "map"; elem: GoType }
  | { t: "struct"; fields: GoField[] }
  | { t: "other" };

/** One struct field (`names` empty for an embedded field). */
export interface GoField {
  names: string[];
  type: GoType;
  tag: string;
}

interface FileDecls {
  pkgDir: string;
  file: string;
  imports: Map<string, string>;
}

/** A declared named type of one package. */
export interface GoDecl {
  type: GoType;
  file: string;
  imports: Map<string, string>;
}

/** One package's named types and which of them decode themselves. */
export interface GoPackage {
  types: Map<string, GoDecl>;
  /** Types with an UnmarshalTOML or UnmarshalText method. */
  selfDecoding: Set<string>;
}

class Parser {
  #pos = 0;
  constructor(readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#pos + offset];
  }
  next(): Token | undefined {
    return this.tokens[this.#pos++];
  }
  is(text: string, offset = 0): boolean {
    return this.peek(offset)?.text === text;
  }
  eof(): boolean {
    return this.#pos >= this.tokens.length;
  }
  skipNewlines(): void {
    while (this.peek()?.kind === "newline" || this.is(";")) this.#pos++;
  }
  /** Skips a balanced bracket group starting at the current `(`, `[` or `{`. */
  skipGroup(): void {
    const open = this.next()?.text;
    const close = open === "(" ? ")" : open === "[" ? "]" : "}";
    let depth = 1;
    while (!this.eof() && depth > 0) {
      const t = this.next()?.text;
      if (t === open) depth++;
      else if (t === close) depth--;
    }
  }
  /** Skips to the end of the current line (and any group it opens). */
  skipLine(): void {
    while (!this.eof() && this.peek()?.kind !== "newline") {
      if (this.is("(") || this.is("[") || this.is("{")) this.skipGroup();
      else this.#pos++;
    }
  }

  type(): GoType {
    const t = this.peek();
    if (t === undefined) return { t: "other" };
    if (t.text === "*") {
      this.next();
      return { t: "ptr", elem: this.type() };
    }
    if (t.text === "[") {
      this.next();
      while (!this.eof() && !this.is("]")) this.next();
      this.next();
      return { t: "slice", elem: this.type() };
    }
    if (t.text === "map") {
      this.next();
      this.skipGroup();
      return { t: "map", elem: this.type() };
    }
    if (t.text === "struct") {
      this.next();
      return { t: "struct", fields: this.structBody() };
    }
    if (t.text === "interface" || t.text === "func" || t.text === "chan") {
      this.next();
      while (!this.eof() && this.peek()?.kind !== "newline" && !this.is("{") && !this.is("`")) {
        if (this.is("(")) this.skipGroup();
        else this.next();
      }
      if (this.is("{")) this.skipGroup();
      return { t: "other" };
    }
    if (t.kind === "ident") {
      this.next();
      if (this.is(".") && this.peek(1)?.kind === "ident") {
        this.next();
        const name = this.next()?.text as string;
        return { t: "name", pkg: t.text, name };
      }
      if (this.is("[")) this.skipGroup(); // generic arguments
      return { t: "name", name: t.text };
    }
    this.next();
    return { t: "other" };
  }

  structBody(): GoField[] {
    const fields: GoField[] = [];
    if (!this.is("{")) return fields;
    this.next();
    for (;;) {
      this.skipNewlines();
      if (this.eof() || this.is("}")) {
        this.next();
        return fields;
      }
      const first = this.peek() as Token;
      const second = this.peek(1);
      const embedded = first.text === "*" ||
        (first.kind === "ident" && (second?.text === "." || second?.kind === "newline" ||
          second?.kind === "string" || second?.text === "}" || second?.text === ";"));
      const names: string[] = [];
      if (!embedded) {
        names.push(this.next()?.text as string);
        while (this.is(",")) {
          this.next();
          names.push(this.next()?.text as string);
        }
      }
      const type = this.type();
      const tag = this.peek()?.kind === "string" ? (this.next()?.text as string) : "";
      fields.push({ names, type, tag });
      while (!this.eof() && this.peek()?.kind !== "newline" && !this.is(";") && !this.is("}")) {
        if (this.is("(") || this.is("[") || this.is("{")) this.skipGroup();
        else this.next();
      }
    }
  }
}

/** Parses one Go file's imports, type declarations and self-decoding methods into `pkg`. */
export function parseGoFile(src: string, file: string, pkg: GoPackage): void {
  const p = new Parser(tokenize(src));
  const imports = new Map<string, string>();
  const addImport = () => {
    let alias: string | undefined;
    if (p.peek()?.kind === "ident" || p.is("_") || p.is(".")) alias = p.next()?.text;
    const path = p.next()?.text ?? "";
    imports.set(alias ?? path.split("/").pop() ?? path, path);
  };
  const typeSpec = () => {
    const name = p.next()?.text as string;
    // Type parameters (`type T[K any] …`) hold at least two tokens; `type T []E` (a slice) and
    // `type T [N]E` (an array) are the type itself.
    if (p.is("[") && !p.is("]", 1) && !p.is("]", 2)) p.skipGroup();
    if (p.is("=")) p.next();
    pkg.types.set(name, { type: p.type(), file, imports });
  };
  while (!p.eof()) {
    p.skipNewlines();
    const t = p.peek();
    if (t === undefined) break;
    if (t.text === "import") {
      p.next();
      if (p.is("(")) {
        p.next();
        for (;;) {
          p.skipNewlines();
          if (p.eof() || p.is(")")) break;
          addImport();
        }
        p.next();
      } else addImport();
    } else if (t.text === "type") {
      p.next();
      if (p.is("(")) {
        p.next();
        for (;;) {
          p.skipNewlines();
          if (p.eof() || p.is(")")) break;
          typeSpec();
        }
        p.next();
      } else typeSpec();
    } else if (t.text === "func" && p.is("(", 1)) {
      p.next();
      p.next();
      const receiver: string[] = [];
      while (!p.eof() && !p.is(")")) receiver.push(p.next()?.text as string);
      p.next();
      const method = p.peek()?.text;
      const type = receiver.filter((r) => r !== "*" && r !== "]" && r !== "[").pop();
      if ((method === "UnmarshalTOML" || method === "UnmarshalText") && type !== undefined) {
        pkg.selfDecoding.add(type);
      }
      p.skipLine();
    } else {
      p.next();
      if (t.text === "(" || t.text === "[" || t.text === "{") {
        // Already consumed the opener: skip until its group closes.
        let depth = 1;
        while (!p.eof() && depth > 0) {
          const x = p.next()?.text;
          if (x === t.text) depth++;
          else if (x === ({ "(": ")", "[": "]", "{": "}" } as Record<string, string>)[t.text]) {
            depth--;
          }
        }
      }
    }
  }
}

/** The TOML key of a field per BurntSushi/toml, `""` for no tag, `undefined` when skipped. */
export function tomlName(tag: string): string | undefined {
  const match = /(?:^|\s)toml:"([^"]*)"/.exec(tag);
  if (match === null) return "";
  const name = (match[1] as string).split(",")[0] as string;
  return name === "-" ? undefined : name;
}

// ---------------------------------------------------------------------------------------------
// Building the schema

const BASIC: Record<string, FieldKind> = {
  string: "string",
  bool: "boolean",
  byte: "integer",
  rune: "integer",
  float32: "float",
  float64: "float",
  any: "any",
  error: "any",
};
for (const n of ["", "8", "16", "32", "64"]) {
  BASIC[`int${n}`] = "integer";
  BASIC[`uint${n}`] = "integer";
}

const EXTERNAL: Record<string, FieldKind> = {
  "time.Duration": "duration",
  "time.Time": "datetime",
};

/** Loads Go packages by directory (relative to the checkout), each once. */
export class GoSource {
  readonly #packages = new Map<string, GoPackage>();
  constructor(readonly root: string) {}

  package(dir: string): GoPackage {
    let pkg = this.#packages.get(dir);
    if (pkg !== undefined) return pkg;
    pkg = { types: new Map(), selfDecoding: new Set() };
    this.#packages.set(dir, pkg);
    const full = join(this.root, dir);
    const names: string[] = [];
    for (const entry of Deno.readDirSync(full)) {
      if (entry.isFile && entry.name.endsWith(".go") && !entry.name.endsWith("_test.go")) {
        names.push(entry.name);
      }
    }
    for (const name of names.sort()) {
      parseGoFile(Deno.readTextFileSync(join(full, name)), join(dir, name), pkg);
    }
    return pkg;
  }
}

/** Builds the schema tables reachable from {@link ROOTS} in `source`. */
export function buildTables(source: GoSource): Record<string, SchemaTable> {
  const tables: Record<string, SchemaTable> = {};
  const pending: string[] = [...ROOTS];

  const resolve = (
    pkgDir: string,
    type: GoType,
    imports: Map<string, string>,
  ): { ref: string; decl: GoDecl; pkg: GoPackage } | FieldKind => {
    if (type.t !== "name") return "any";
    let dir = pkgDir;
    if (type.pkg !== undefined) {
      const path = imports.get(type.pkg);
      const external = EXTERNAL[`${type.pkg}.${type.name}`];
      if (external !== undefined) return external;
      if (path === undefined || !path.startsWith(`${MODULE}/`)) return "any";
      dir = path.slice(MODULE.length + 1);
    } else if (Object.hasOwn(BASIC, type.name)) return BASIC[type.name] as FieldKind;
    const pkg = source.package(dir);
    const decl = pkg.types.get(type.name);
    if (decl === undefined) return "any";
    return { ref: `${dir}.${type.name}`, decl, pkg };
  };

  const kindOf = (pkgDir: string, type: GoType, imports: Map<string, string>): FieldKind => {
    switch (type.t) {
      case "ptr":
        return kindOf(pkgDir, type.elem, imports);
      case "slice": {
        const elem = kindOf(pkgDir, type.elem, imports);
        return elem.startsWith("table ") ? `array ${elem.slice(6)}` : "list";
      }
      case "map": {
        const elem = kindOf(pkgDir, type.elem, imports);
        return elem.startsWith("table ") ? `map ${elem.slice(6)}` : "map";
      }
      case "struct":
      case "other":
        return "any";
      case "name": {
        const found = resolve(pkgDir, type, imports);
        if (typeof found === "string") return found;
        const underlying = found.decl.type;
        const dir = dirOfRef(found.ref);
        if (underlying.t === "struct") {
          if (!Object.hasOwn(tables, found.ref) && !pending.includes(found.ref)) {
            pending.push(found.ref);
          }
          return `table ${found.ref}`;
        }
        // A named non-struct type that decodes itself may accept several shapes.
        if (found.pkg.selfDecoding.has(type.name)) return "any";
        return kindOf(dir, underlying, found.decl.imports);
      }
    }
  };

  const collect = (
    pkgDir: string,
    fields: GoField[],
    imports: Map<string, string>,
    keys: Record<string, FieldKind>,
    seen: Set<string>,
  ): void => {
    for (const field of fields) {
      const name = tomlName(field.tag);
      if (name === undefined) continue;
      if (field.names.length === 0) {
        const inner = field.type.t === "ptr" ? field.type.elem : field.type;
        const found = inner.t === "name" ? resolve(pkgDir, inner, imports) : "any";
        if (name === "" && typeof found !== "string" && found.decl.type.t === "struct") {
          if (seen.has(found.ref)) continue;
          seen.add(found.ref);
          collect(dirOfRef(found.ref), found.decl.type.fields, found.decl.imports, keys, seen);
          continue;
        }
        const goName = inner.t === "name" ? inner.name : "";
        const key = name === "" ? goName : name;
        if (key !== "" && /^[A-Z]/.test(goName) && !Object.hasOwn(keys, key)) {
          keys[key] = kindOf(pkgDir, field.type, imports);
        }
        continue;
      }
      for (const goName of field.names) {
        if (!/^[A-Z]/.test(goName)) continue; // unexported: the decoder ignores it
        const key = name === "" ? goName : name;
        if (!Object.hasOwn(keys, key)) keys[key] = kindOf(pkgDir, field.type, imports);
      }
    }
  };

  while (pending.length > 0) {
    const ref = pending.shift() as string;
    const dot = ref.lastIndexOf(".");
    const dir = dirOfRef(ref);
    const pkg = source.package(dir);
    const decl = pkg.types.get(ref.slice(dot + 1));
    if (decl === undefined || decl.type.t !== "struct") {
      throw new Error(`${ref}: not a struct in ${dir}`);
    }
    const keys: Record<string, FieldKind> = {};
    tables[ref] = { source: decl.file, keys };
    collect(dir, decl.type.fields, decl.imports, keys, new Set([ref]));
    tables[ref] = { source: decl.file, keys: sortKeys(keys) };
  }
  return sortKeys(tables);
}

function dirOfRef(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("."));
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

/** The schema file for a checkout. */
export function buildSchema(root: string, version: string, commit?: string): RunnerSchema {
  return {
    $comment: `gitlab-runner ${version} config.toml keys, from the toml tags of common.Config, ` +
      "common.RunnerConfig and the structs they reach. Generated by " +
      "`deno task refresh-runner-schema CHECKOUT` (scripts/refresh_runner_schema.ts); " +
      "do not edit by hand.",
    gitlab_runner: version,
    ...(commit === undefined ? {} : { commit }),
    roots: { global: "common.Config", runner: "common.RunnerConfig" },
    tables: buildTables(new GoSource(root)),
  };
}

const USAGE = "usage: deno task refresh-runner-schema CHECKOUT [--version vX.Y.Z] [--commit SHA] " +
  "[--out FILE]\n" +
  "  CHECKOUT: a gitlab-runner source tree, e.g. from\n" +
  "    git -C gitlab-runner archive v19.3.0 | tar -x -C /tmp/glr";

function main(): number {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      version: { type: "string" },
      commit: { type: "string" },
      out: {
        type: "string",
        default: fileURLToPath(new URL("../src/inputs/runner_schema.json", import.meta.url)),
      },
      help: { type: "boolean", short: "h" },
    },
  });
  const root = positionals[0];
  if (values.help || root === undefined || positionals.length > 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  let version = values.version;
  if (version === undefined) {
    try {
      version = `v${Deno.readTextFileSync(join(root, "VERSION")).trim()}`;
    } catch {
      console.error(`${root}/VERSION is missing: pass --version`);
      return 2;
    }
  }
  const schema = buildSchema(root, version, values.commit);
  Deno.writeTextFileSync(values.out, JSON.stringify(schema, null, 2) + "\n");
  const count = Object.values(schema.tables).reduce((n, t) => n + Object.keys(t.keys).length, 0);
  console.error(
    `wrote ${values.out}: gitlab-runner ${version}, ${
      Object.keys(schema.tables).length
    } tables, ${count} keys`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(main());
