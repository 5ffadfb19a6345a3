/**
 * GitLab credentials where register-runner does not read them: a `pat`, `private_token` or
 * `personal_access_token` at the template's top level or in an executor file (at any depth), or
 * any value shaped like a personal access token or registration token there. Everything outside
 * `client_configs` is copied into config.toml, so such a key would hand the administrator's token
 * to every job's runner process and to whoever reads config.toml. Refused wherever it stands,
 * whatever `allow_unknown_keys` says, with a did-you-mean for the key register-runner reads. The
 * value is never shown. Pure.
 *
 * @module
 */

import type { KeyPath } from "./key_lines.ts";
import { isTable } from "./values.ts";

/** The credential keys of a `client_configs` entry (the only place they are read). */
export const CREDENTIAL_KEY_NAMES: readonly string[] = [
  "personal_access_token",
  "personal_access_token_file",
  "registration_token",
  "registration_token_file",
];

/** Other names people give these credentials (the API's, the Python tool's, habit). */
const CREDENTIAL_ALIASES: Readonly<Record<string, string>> = {
  pat: "personal_access_token",
  glpat: "personal_access_token",
  gitlab_pat: "personal_access_token",
  private_token: "personal_access_token",
  access_token: "personal_access_token",
  personal_token: "personal_access_token",
  gitlab_token: "personal_access_token",
  api_token: "personal_access_token",
  admin_token: "registration_token",
  reg_token: "registration_token",
  runner_registration_token: "registration_token",
};

/** The credential key of a `client_configs` entry that `key` names, or undefined. */
export function credentialKeyFor(key: string): string | undefined {
  const n = key.toLowerCase().replaceAll("-", "_");
  if (CREDENTIAL_KEY_NAMES.includes(n)) return n;
  const file = n.endsWith("_file");
  const base = file ? n.slice(0, -"_file".length) : n;
  const real = Object.hasOwn(CREDENTIAL_ALIASES, base) ? CREDENTIAL_ALIASES[base] : undefined;
  return real === undefined ? undefined : file ? `${real}_file` : real;
}

/** The credential key for a value shaped like a GitLab PAT or registration token, or undefined. */
function credentialKeyForValue(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (/^\s*glpat-/.test(value)) return "personal_access_token_file";
  if (/^\s*GR1348941/.test(value)) return "registration_token_file";
  return undefined;
}

/** A credential found outside `client_configs`. */
export interface MisplacedCredential {
  /** Where it is in the file. */
  path: KeyPath;
  /** The `client_configs` key to use instead. */
  suggestion: string;
  /** Found by its value's shape (the key's name is not a credential's). */
  byValue: boolean;
}

/**
 * Every misplaced credential under `data` (tables and arrays of tables, at any depth), in file
 * order; top-level keys for which `skip` is true are not looked at (`client_configs`).
 */
export function findMisplacedCredentials(
  data: Record<string, unknown>,
  skip: (key: string) => boolean = () => false,
): MisplacedCredential[] {
  const out: MisplacedCredential[] = [];
  const walk = (table: Record<string, unknown>, path: KeyPath) => {
    for (const [key, value] of Object.entries(table)) {
      if (path.length === 0 && skip(key)) continue;
      const here = [...path, key];
      const named = credentialKeyFor(key);
      const shaped = named === undefined ? credentialKeyForValue(value) : undefined;
      if (named !== undefined || shaped !== undefined) {
        out.push({ path: here, suggestion: (named ?? shaped)!, byValue: named === undefined });
      } else if (isTable(value)) walk(value, here);
      else if (Array.isArray(value)) {
        value.forEach((entry, i) => {
          if (isTable(entry)) walk(entry, [...here, i]);
        });
      }
    }
  };
  walk(data, []);
  return out;
}

/** What is wrong with `found` and how to fix it, for `file` (the template is `templateFile`). */
export function misplacedCredentialMessage(
  found: MisplacedCredential,
  file: string,
  templateFile: string,
): { what: string; hint: string } {
  const named = found.path.at(-1);
  const where = found.suggestion === named
    ? "Move it into a [[client_configs]] entry."
    : `Did you mean \`${found.suggestion}\` in a [[client_configs]] entry?`;
  const what = found.byValue
    ? "holds what looks like a GitLab " +
      (found.suggestion.startsWith("registration")
        ? "registration token"
        : "personal access token") +
      ", which would be copied into config.toml; register-runner reads GitLab credentials only " +
      `in a [[client_configs]] entry. Did you mean \`${found.suggestion}\` there?`
    : "is a GitLab credential outside [[client_configs]], the only place register-runner reads " +
      `one; here it would be copied into config.toml. ${where}`;
  const key = found.suggestion.endsWith("_file") ? found.suggestion : `${found.suggestion}_file`;
  return {
    what,
    hint: `Remove it from ${file}; put the token in a file (chmod 600) and name that file with ` +
      `${key} = "PATH" in the [[client_configs]] entry of its GitLab in ${templateFile}. ` +
      `The keys of an entry: ${CREDENTIAL_KEY_NAMES.join(", ")}, url, ca_file.`,
  };
}
