/**
 * Secrets given inline or in files (`*_file` keys), including systemd credentials
 * (`$CREDENTIALS_DIRECTORY/<name>`). Values are checked but never shown in messages.
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import type { RuntimeEnv } from "../kernel/env.ts";
import { InputError } from "../kernel/errors.ts";
import { Secret } from "../kernel/secret.ts";
import { readTextFile, statIfExists } from "./fs.ts";
import { privacyProblem } from "./permissions.ts";

/** The largest secret file read (64 KiB). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** The longest token accepted (characters); real GitLab tokens are under 100. */
export const MAX_SECRET_LENGTH = 4096;

/** GitLab token prefixes (personal, runner, deploy, trigger… tokens and registration tokens). */
const TOKEN_LIKE =
  /(?:\b(?:glpat|glrtr?|gldt|glptt|glft|glimt|glagent|glcbt|glsoat|gloas|glffct|glwt)-|\bGR1348941)[A-Za-z0-9_.=-]+/g;

/** Replaces anything shaped like a GitLab token in `text` with `[redacted]`. */
export function maskTokens(text: string): string {
  return text.replace(TOKEN_LIKE, "[redacted]").replace(URL_PASSWORD, "$1:[redacted]@");
}

/** The password of a URL's user info (`scheme://user:password@host`). */
const URL_PASSWORD = /(\/\/[^\s/:@"'`]*):[^\s/@"'`]*@/g;

/** What every secret value in shown config text becomes. */
export const MASKED = "[redacted]";

/**
 * A TOML key whose value is secret: its name ends in token, secret, password, dsn, credential(s),
 * or is one of gitlab-runner's cache keys that hold a secret (gitlab-runner 19.3
 * cache/cacheconfig/cacheconfig.go: S3 `SecretKey` and `SessionToken` — `AccessKey` too, an
 * identifier but masked to be safe —, GCS `PrivateKey`, Azure `AccountKey`), with its value:
 * quoted, or bare on a line cut short.
 */
const SECRET_NAME = String
  .raw`(?:[A-Za-z0-9_-]*(?:token|secret|password|passwd|dsn|credentials?|secret_?key|access_?key|account_?key|private_?key)|(?:[A-Za-z0-9-]*_)?pat)`;
const SECRET_VALUE = new RegExp(
  // A bare key, or a quoted one (a name right after a quote is only a key when a quote closes it:
  // `"API_TOKEN=x"` is a string, left to the variable rule).
  String.raw`((?:(?<![A-Za-z0-9_"'-])${SECRET_NAME}|(?<=["'])${SECRET_NAME}["'])\s*=\s*)` +
    String.raw`("(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s,}\]#]*)`,
  "gi",
);

/**
 * A variable whose value is secret, in a `NAME=value` string (`environment`, docker-machine's
 * `MachineOptions`): the name holds token, secret, password, credential, private, or the word
 * pass or auth (`DOCKER_AUTH_CONFIG`, registry credentials), or ends in key or dsn.
 */
const SECRET_VARIABLE =
  /token|secret|passw(?:or)?d|credential|private|(?:^|[_.-])(?:pass|auth)(?:$|[_.-])|(?:key|dsn)$/i;

/** A quoted `"NAME=value"` or `'NAME=value'` string. */
const ASSIGNMENT =
  /"([A-Za-z_][A-Za-z0-9_.-]*)=(?:[^"\\]|\\.)*"|'([A-Za-z_][A-Za-z0-9_.-]*)=[^']*'/g;

/**
 * `text` (TOML: an input excerpt, a config.toml shown in a diff) with every secret value
 * replaced by {@link MASKED}, line by line: the value of a secret-named key, the value of a
 * `"NAME=value"` string whose name is secret-like, a URL's password, and anything shaped like a
 * GitLab token. A value that is a bracketed placeholder (`"[new token: reset]"`) is kept. The one
 * masking rule for config text shown anywhere (terminal or JSON).
 */
export function maskSecretValues(text: string): string {
  return text.split("\n").map(maskLine).join("\n");
}

function maskLine(line: string): string {
  const keys = line.replace(
    SECRET_VALUE,
    (whole, key: string, value: string) =>
      /^"\[[^"\]]*\]"$/.test(value) ? whole : `${key}"${MASKED}"`,
  );
  const variables = keys.replace(
    ASSIGNMENT,
    (whole, double: string | undefined, single: string | undefined) => {
      const name = double ?? single ?? "";
      if (!SECRET_VARIABLE.test(name)) return whole;
      return double !== undefined ? `"${name}=${MASKED}"` : `'${name}=${MASKED}'`;
    },
  );
  return maskTokens(variables);
}

/** True for a value like `{personal_access_token}` left from the Python tool's sample. */
export function isPlaceholder(value: string): boolean {
  return /^\s*\{[^{}]*\}\s*$/.test(value);
}

/** What is wrong with a (trimmed) secret value, without quoting it; undefined when fine. */
export function secretValueProblem(value: string): string | undefined {
  if (value === "") return "is empty";
  if (value.length > MAX_SECRET_LENGTH) {
    return `is ${value.length} characters long, more than the ${MAX_SECRET_LENGTH} a token may have`;
  }
  if (/[\s\p{Cc}]/u.test(value)) return "contains whitespace or control characters";
  return undefined;
}

/**
 * Where a `*_file` value points: `$CREDENTIALS_DIRECTORY/<value>` when the value is a bare name
 * and that file exists (systemd `LoadCredential=`), else the value itself when absolute, else the
 * value relative to `prefix`.
 */
export async function resolveSecretPath(
  value: string,
  prefix: string,
  env: RuntimeEnv,
): Promise<string> {
  const credentials = env.getEnv("CREDENTIALS_DIRECTORY");
  if (credentials && !value.includes("/") && value !== "." && value !== "..") {
    const candidate = join(credentials, value);
    if ((await statIfExists(candidate)) !== undefined) return candidate;
  }
  return isAbsolute(value) ? value : resolve(prefix, value);
}

/**
 * Every place {@link resolveSecretPath} looks for a `*_file` value, as absolute paths in the order
 * searched, and a note on `$CREDENTIALS_DIRECTORY` when a bare name could have been found there.
 */
export function secretSearch(
  value: string,
  prefix: string,
  env: RuntimeEnv,
): { places: string[]; note: string } {
  const own = isAbsolute(value) ? value : resolve(prefix, value);
  if (value.includes("/") || value === "." || value === "..") return { places: [own], note: "" };
  const credentials = env.getEnv("CREDENTIALS_DIRECTORY");
  if (!credentials) {
    return {
      places: [own],
      note: "$CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit with " +
        "LoadCredential=; on a manual run it is unset), so the credentials directory was not searched",
    };
  }
  return {
    places: [resolve(credentials, value), own],
    note: `$CREDENTIALS_DIRECTORY is ${resolve(credentials)} (systemd sets it for a unit with ` +
      "LoadCredential=; on a manual run it is unset)",
  };
}

/**
 * Reads a secret file: must be private to its owner (when `checkPermissions`), a small regular
 * UTF-8 file whose trimmed content is a plausible token. Throws InputError naming the path.
 */
export async function readSecretFile(path: string, checkPermissions: boolean): Promise<Secret> {
  if (checkPermissions) {
    const info = await statIfExists(path);
    const problem = info && privacyProblem(path, info, "it holds a secret.");
    if (problem) throw problem;
  }
  const text = await readTextFile(path, MAX_SECRET_FILE_BYTES);
  const value = text.replace(/^\uFEFF/, "").trim();
  const what = secretValueProblem(value);
  if (what !== undefined) {
    throw new InputError(`${path}: the secret in this file ${what}`, {
      where: { file: path },
      hint:
        `Write only the token into ${path} (surrounding whitespace and a final newline are fine).`,
    });
  }
  return new Secret(value);
}
