/**
 * Finds the line where a key path is defined in TOML source text, for error messages.
 *
 * A small, forgiving scanner (not a parser): it follows table and array-of-tables headers,
 * dotted keys, inline tables and arrays (so `client_configs = [ { url = … } ]` maps
 * `client_configs[0].url` to the line of `url`), and skips strings and comments. It never throws;
 * on text it cannot follow it simply knows fewer lines.
 *
 * @module
 */

/** A key path: table keys and array indexes, e.g. `["client_configs", 0, "url"]`. */
export type KeyPath = readonly (string | number)[];

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Formats a key path the way users write it: `client_configs[0].url`, `runners[1]."odd key"`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const key = BARE_KEY.test(part) ? part : JSON.stringify(part);
      out += out === "" ? key : `.${key}`;
    }
  }
  return out;
}

function pathId(path: KeyPath): string {
  return JSON.stringify(path);
}

/** Maps every key path the scanner saw to its 1-based line. */
export function indexKeyLines(text: string): Map<string, number> {
  const scanner = new Scanner(text);
  try {
    scanner.document();
  } catch {
    // Good effort: keep what was found before the scanner got lost.
  }
  return scanner.lines;
}

/**
 * The line of `path` in `text`; when the exact key is absent (a missing key), the line of its
 * nearest parent that is present; undefined when nothing matches.
 */
export function findKeyLine(
  text: string,
  path: KeyPath,
  index: Map<string, number> = indexKeyLines(text),
): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = index.get(pathId(path.slice(0, n)));
    if (line !== undefined) return line;
  }
  return undefined;
}

const MAX_STEPS = 5_000_000;

class Scanner {
  readonly lines = new Map<string, number>();
  readonly #text: string;
  #pos = 0;
  #line = 1;
  #steps = 0;
  /** Last index of each array of tables, by resolved path. */
  readonly #arrays = new Map<string, number>();

  constructor(text: string) {
    this.#text = text;
  }

  document(): void {
    let table: (string | number)[] = [];
    while (this.#skipBlank(true)) {
      const start = this.#pos;
      if (this.#peek() === "[") table = this.#header();
      else this.#keyValue(table);
      this.#skipBlank(false);
      if (this.#pos === start) this.#advance();
    }
  }

  #record(path: KeyPath, line: number): void {
    const id = pathId(path);
    if (!this.lines.has(id)) this.lines.set(id, line);
  }

  #tick(): void {
    if (++this.#steps > MAX_STEPS) throw new Error("scanner budget exceeded");
  }

  #peek(offset = 0): string {
    return this.#text[this.#pos + offset] ?? "";
  }

  #advance(): void {
    this.#tick();
    if (this.#text[this.#pos] === "\n") this.#line++;
    this.#pos++;
  }

  #eof(): boolean {
    return this.#pos >= this.#text.length;
  }

  /** Skips spaces, comments and (when `newlines`) line breaks. Returns false at the end. */
  #skipBlank(newlines: boolean): boolean {
    while (!this.#eof()) {
      const c = this.#peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\uFEFF") this.#advance();
      else if (c === "\n" && newlines) this.#advance();
      else if (c === "#") {
        while (!this.#eof() && this.#peek() !== "\n") this.#advance();
      } else break;
    }
    return !this.#eof();
  }

  #header(): (string | number)[] {
    const line = this.#line;
    const isArray = this.#peek(1) === "[";
    this.#advance();
    if (isArray) this.#advance();
    const keys = this.#key();
    this.#skipBlank(false);
    if (this.#peek() === "]") this.#advance();
    if (isArray && this.#peek() === "]") this.#advance();
    const path: (string | number)[] = [];
    keys.forEach((key, i) => {
      path.push(key);
      const last = i === keys.length - 1;
      const index = this.#arrays.get(pathId(path));
      if (!(last && isArray) && index !== undefined) path.push(index);
      else this.#record(path, line);
    });
    if (isArray) {
      const index = (this.#arrays.get(pathId(path)) ?? -1) + 1;
      this.#arrays.set(pathId(path), index);
      path.push(index);
    }
    this.#record(path, line);
    return path;
  }

  /** A possibly dotted key; stops before `=`, `]` or anything else. */
  #key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.#skipBlank(false);
      const c = this.#peek();
      if (c === '"' || c === "'") parts.push(this.#string());
      else {
        let bare = "";
        while (/[A-Za-z0-9_-]/.test(this.#peek())) {
          bare += this.#peek();
          this.#advance();
        }
        if (bare === "") return parts;
        parts.push(bare);
      }
      this.#skipBlank(false);
      if (this.#peek() !== ".") return parts;
      this.#advance();
    }
  }

  #keyValue(base: KeyPath): void {
    const line = this.#line;
    const keys = this.#key();
    if (keys.length === 0) return;
    const path = [...base];
    for (const key of keys) {
      path.push(key);
      this.#record(path, line);
    }
    this.#skipBlank(false);
    if (this.#peek() !== "=") return;
    this.#advance();
    this.#skipBlank(false);
    this.#value(path);
  }

  #value(path: KeyPath): void {
    const c = this.#peek();
    if (c === "{") this.#inlineTable(path);
    else if (c === "[") this.#array(path);
    else if (c === '"' || c === "'") this.#string();
    else {
      while (!this.#eof() && !",]}\n#".includes(this.#peek())) this.#advance();
    }
  }

  #inlineTable(path: KeyPath): void {
    this.#advance();
    while (this.#skipBlank(true)) {
      const start = this.#pos;
      if (this.#peek() === "}") return this.#advance();
      this.#keyValue(path);
      this.#skipBlank(true);
      if (this.#peek() === ",") this.#advance();
      if (this.#pos === start) this.#advance();
    }
  }

  #array(path: KeyPath): void {
    this.#advance();
    let index = 0;
    while (this.#skipBlank(true)) {
      const start = this.#pos;
      if (this.#peek() === "]") return this.#advance();
      const element = [...path, index++];
      this.#record(element, this.#line);
      this.#value(element);
      this.#skipBlank(true);
      if (this.#peek() === ",") this.#advance();
      if (this.#pos === start) this.#advance();
    }
  }

  /** A basic, literal or multi-line string; returns its (roughly decoded) contents. */
  #string(): string {
    const quote = this.#peek();
    const multi = this.#peek(1) === quote && this.#peek(2) === quote;
    const width = multi ? 3 : 1;
    for (let i = 0; i < width; i++) this.#advance();
    let out = "";
    while (!this.#eof()) {
      const c = this.#peek();
      if (!multi && c === "\n") return out;
      if (c === quote && (!multi || (this.#peek(1) === quote && this.#peek(2) === quote))) {
        for (let i = 0; i < width; i++) this.#advance();
        return out;
      }
      if (c === "\\" && quote === '"') {
        this.#advance();
        out += decodeEscape(this.#peek());
      } else out += c;
      this.#advance();
    }
    return out;
  }
}

const ESCAPES: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\x1b",
  '"': '"',
  "\\": "\\",
};

function decodeEscape(c: string): string {
  return ESCAPES[c] ?? c;
}
