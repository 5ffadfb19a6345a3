/**
 * A wrapper that keeps tokens out of logs: printing, string-interpolating or JSON-encoding a
 * {@link Secret} shows `[redacted]`; only {@link Secret.reveal} gives the value. It is called only
 * where a token must leave the process: the GitLab client (request headers and bodies, and
 * redaction of replies), the config renderer (`runner_config/render.ts`) and the token journal
 * (`commands/sync.ts`). Tests may call it on fake tokens.
 *
 * @module
 */

const REDACTED = "[redacted]";

/** A secret string (personal access token, registration token or runner token). */
export class Secret {
  readonly #value: string;

  /** Wraps `value`; it must be a non-empty string. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret value. Call only where the value must leave the process (HTTP body, config file). */
  reveal(): string {
    return this.#value;
  }

  /** True when both wrap the same value. */
  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`. */
  toJSON(): string {
    return REDACTED;
  }

  /** Deno's inspect hook (console.log, Deno.inspect). */
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }

  /** Node's inspect hook. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

/**
 * Replaces every occurrence of each secret's value in `text` with `[redacted]`, in each encoding
 * a server may echo it in: as is, JSON-escaped (`"` and `\` escaped, or `\uXXXX`), and
 * URL-encoded (`%XX`, upper or lower case, `+` for a space). Used on anything that might echo a
 * secret back (GitLab error bodies, URLs).
 */
export function redact(text: string, secrets: Iterable<Secret | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret?.reveal();
    if (!value || value.length < 4) continue;
    for (const form of encodings(value)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/** The forms of `value` to redact, longest first (so no form leaves part of a longer one). */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const unicode = Array.from(value, (c) => /[A-Za-z0-9_-]/.test(c) ? c : jsonUnicode(c)).join("");
  const url = encodeURIComponent(value);
  const forms = new Set([
    value,
    json,
    unicode,
    url,
    url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    url.replaceAll("%20", "+"),
    JSON.stringify(json).slice(1, -1), // escaped twice (a JSON string inside a JSON string)
  ]);
  return [...forms].sort((a, b) => b.length - a.length);
}

function jsonUnicode(c: string): string {
  return Array.from(
    { length: c.length },
    (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`,
  ).join("");
}
