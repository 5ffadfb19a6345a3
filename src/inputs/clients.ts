/**
 * One `client_configs` entry of the template: its URL, credentials (inline, from a file, or from
 * systemd credentials) and CA bundle, validated into a {@link ClientConfig}.
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import { InputError } from "../kernel/errors.ts";
import type { ClientConfig } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import type { LoadContext } from "./context.ts";
import { readTextFile, statIfExists } from "./fs.ts";
import type { KeyPath } from "./key_lines.ts";
import { CLIENT_KEYS, suggestion } from "./keys.ts";
import { credentialKeyFor } from "./misplaced_credentials.ts";
import {
  isPlaceholder,
  readSecretFile,
  resolveSecretPath,
  secretSearch,
  secretValueProblem,
} from "./secrets.ts";
import { clientScope } from "./scope.ts";
import type { TomlDoc } from "./toml_file.ts";
import { apiBaseOf, checkGitLabUrl, normalizeUrl } from "./url.ts";
import { describeValue } from "./values.ts";

/** The largest CA bundle read (16 MiB). */
const MAX_CA_BYTES = 16 * 1024 * 1024;

type SecretName = "personal_access_token" | "registration_token";

/** A validated client, or only its URL key when something else in it was wrong. */
export interface ClientResult {
  /** Set when the whole entry is valid. */
  client?: ClientConfig;
  /** Normalised URL, set whenever the URL itself is valid (for duplicate and executor checks). */
  key?: string;
}

/** Validates `client_configs[index]`; problems go to `ctx.problems`. */
export async function loadClient(
  doc: TomlDoc,
  index: number,
  table: Record<string, unknown>,
  ctx: LoadContext,
): Promise<ClientResult> {
  const path: KeyPath = ["client_configs", index];
  const before = ctx.problems.count;
  for (const key of Object.keys(table)) {
    if (CLIENT_KEYS.includes(key)) continue;
    // A credential under another name (`pat`, `private_token_file`) is never read: name the real key.
    const credential = credentialKeyFor(key);
    ctx.problems.add(
      doc.error(
        [...path, key],
        `unknown key in a client_configs entry.${
          credential === undefined
            ? suggestion(key, CLIENT_KEYS)
            : ` Did you mean \`${credential}\`?`
        }`,
        `Allowed keys: ${CLIENT_KEYS.join(", ")}.`,
      ),
    );
  }
  const url = clientUrl(doc, path, table.url, ctx);
  const sources: NonNullable<ClientConfig["tokenSources"]> = {};
  const personalAccessToken = await clientSecret(
    doc,
    path,
    table,
    "personal_access_token",
    ctx,
    sources,
  );
  const registrationToken = await clientSecret(
    doc,
    path,
    table,
    "registration_token",
    ctx,
    sources,
  );
  const credentialKeys = CLIENT_KEYS.filter((k) => k.includes("token"));
  if (!credentialKeys.some((k) => table[k] !== undefined)) {
    ctx.problems.add(
      doc.error(
        path,
        "has no credential",
        "Set personal_access_token_file to a file holding a GitLab administrator's personal " +
          "access token with the api scope (or registration_token_file for legacy registration).",
      ),
    );
  }
  const caFile = await clientCaFile(doc, path, table.ca_file, ctx);
  const scope = clientScope(doc, path, table, ctx);
  const result: ClientResult = {};
  if (url === undefined) return result;
  result.key = normalizeUrl(url);
  if (ctx.problems.count > before) return result;
  const client: ClientConfig = {
    url,
    key: result.key,
    apiBase: apiBaseOf(url),
    source: doc.at(path),
    tokenSources: sources,
  };
  if (personalAccessToken) client.personalAccessToken = personalAccessToken;
  if (registrationToken) client.registrationToken = registrationToken;
  if (caFile !== undefined) client.caFile = caFile;
  if (scope !== undefined) client.scope = scope;
  if (!personalAccessToken) {
    ctx.warnings.push(doc.warning(
      path,
      "has no personal_access_token: register-runner can only register runners with the " +
        "registration token (disabled by default since GitLab 17.0) and cannot list, recover or " +
        "clean up runners on this GitLab.",
    ));
  }
  result.client = client;
  return result;
}

function clientUrl(
  doc: TomlDoc,
  path: KeyPath,
  value: unknown,
  ctx: LoadContext,
): string | undefined {
  const at = [...path, "url"];
  const example = 'Add url = "https://gitlab.example.com" (the GitLab base URL).';
  if (value === undefined) {
    ctx.problems.add(doc.error(at, "is missing; every client needs the GitLab URL", example));
  } else if (typeof value !== "string") {
    ctx.problems.add(doc.error(at, `must be a string, not ${describeValue(value)}`, example));
  } else if (isPlaceholder(value)) {
    ctx.problems.add(
      doc.error(at, `is the placeholder "${value.trim()}" from the sample`, example),
    );
  } else {
    const problem = checkGitLabUrl(value);
    if (problem === undefined) return value;
    ctx.problems.add(doc.error(at, problem.what, problem.hint));
  }
  return undefined;
}

async function clientSecret(
  doc: TomlDoc,
  path: KeyPath,
  table: Record<string, unknown>,
  name: SecretName,
  ctx: LoadContext,
  sources: NonNullable<ClientConfig["tokenSources"]>,
): Promise<Secret | undefined> {
  const fileKey = `${name}_file`;
  const inline = table[name];
  const file = table[fileKey];
  const useFile = `Store the token in a file (chmod 600) and set ${fileKey} = "PATH" instead.`;
  if (inline !== undefined && file !== undefined) {
    ctx.problems.add(doc.error(
      [...path, fileKey],
      `is set together with \`${name}\`; only one of them may be given`,
      `Delete ${name} (keep the token in the file) or delete ${fileKey}.`,
    ));
  } else if (inline !== undefined) {
    const at = [...path, name];
    if (typeof inline !== "string") {
      ctx.problems.add(doc.error(at, `must be a string, not ${describeValue(inline)}`, useFile));
    } else if (isPlaceholder(inline)) {
      ctx.problems.add(doc.error(
        at,
        `is the placeholder "${inline.trim()}" left from the sample template`,
        `Put the real token there, or better: ${useFile}`,
      ));
    } else {
      const what = secretValueProblem(inline.trim());
      if (what === undefined) {
        sources[name] = { where: doc.at(at), from: `the template itself (inline ${name})` };
        return new Secret(inline.trim());
      }
      ctx.problems.add(doc.error(at, `value ${what}`, `Put the token itself there. ${useFile}`));
    }
  } else if (file !== undefined) {
    const read = await secretFromFile(doc, [...path, fileKey], file, ctx);
    if (read !== undefined) sources[name] = { where: doc.at([...path, fileKey]), from: read.from };
    return read?.secret;
  }
  return undefined;
}

async function secretFromFile(
  doc: TomlDoc,
  at: KeyPath,
  value: unknown,
  ctx: LoadContext,
): Promise<{ secret: Secret; from: string } | undefined> {
  const hint = `Set it to the path of a file holding only the token (relative to ${ctx.prefix}, ` +
    "or a credential name from systemd's LoadCredential=).";
  const path = pathValue(doc, at, value, hint, ctx);
  if (path === undefined) return undefined;
  try {
    const file = await resolveSecretPath(path, ctx.prefix, ctx.env);
    if ((await statIfExists(file)) === undefined) {
      const { places, note } = secretSearch(path, ctx.prefix, ctx.env);
      const where = places.length === 1
        ? `points at ${file}, which does not exist`
        : `"${path.slice(0, 200)}" was found in none of ${places.join(", ")}`;
      ctx.problems.add(doc.error(
        at,
        note === "" ? where : `${where}; ${note}`,
        `Write the token into ${file} (chmod 600), or correct the path. ${hint}`,
      ));
      return undefined;
    }
    const secret = await readSecretFile(file, ctx.checkPermissions);
    const credentials = ctx.env.getEnv("CREDENTIALS_DIRECTORY");
    const fromCredentials = credentials !== undefined && credentials !== "" &&
      file === join(credentials, path);
    return {
      secret,
      from: fromCredentials ? `$CREDENTIALS_DIRECTORY/${path} (${file})` : `the file ${file}`,
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    ctx.problems.add(doc.error(at, error.message, error.hint));
    return undefined;
  }
}

async function clientCaFile(
  doc: TomlDoc,
  path: KeyPath,
  value: unknown,
  ctx: LoadContext,
): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const at = [...path, "ca_file"];
  const hint =
    `Set it to a PEM file with the CA certificates to trust (relative to ${ctx.prefix}).`;
  const given = pathValue(doc, at, value, hint, ctx);
  if (given === undefined) return undefined;
  const file = isAbsolute(given) ? given : resolve(ctx.prefix, given);
  try {
    const text = await readTextFile(file, MAX_CA_BYTES);
    if (text.includes("-----BEGIN CERTIFICATE-----")) return file;
    ctx.problems.add(
      doc.error(at, `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, hint),
    );
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    ctx.problems.add(doc.error(at, error.message, hint));
  }
  return undefined;
}

/** The path in a `*_file` or `ca_file` value; undefined (problem recorded) when unusable. */
function pathValue(
  doc: TomlDoc,
  at: KeyPath,
  value: unknown,
  hint: string,
  ctx: LoadContext,
): string | undefined {
  let what: string;
  if (typeof value !== "string") what = `must be a string, not ${describeValue(value)}`;
  else if (value.trim() === "") what = "is empty";
  else if (isPlaceholder(value)) what = `is the placeholder "${value.trim()}" from the sample`;
  else return value;
  ctx.problems.add(doc.error(at, what, hint));
  return undefined;
}
