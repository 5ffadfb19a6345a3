/**
 * The template `{prefix}/config.template.{instance}.toml`: gitlab-runner global settings (checked,
 * then passed through) and `client_configs` (one entry per GitLab).
 *
 * @module
 */

import type { ClientConfig } from "../kernel/model.ts";
import { loadClient } from "./clients.ts";
import type { LoadContext } from "./context.ts";
import { InputError } from "../kernel/errors.ts";
import { statIfExists } from "./fs.ts";
import { GLOBAL_TYPES, lookup, TEMPLATE_KEYS } from "./keys.ts";
import { formatKeyPath } from "./key_lines.ts";
import { findMisplacedCredentials, misplacedCredentialMessage } from "./misplaced_credentials.ts";
import { controlledByOthers, privacyProblem } from "./permissions.ts";
import {
  findUnknownKeys,
  GLOBAL_TABLE,
  RUNNER_SCHEMA_VERSION,
  schemaKnows,
  unknownKeyError,
} from "./runner_schema.ts";
import { readTomlDoc, SYNTAX_HINT, type TomlDoc } from "./toml_file.ts";
import { checkValue, isTable } from "./values.ts";

/** The template, validated as far as it could be. */
export interface Template {
  /** Global settings (everything but `client_configs`). */
  globals: Record<string, unknown>;
  /** The fully valid clients. */
  clients: ClientConfig[];
  /** Normalised URLs of every client whose URL is valid (even if other keys are not). */
  clientKeys: string[];
  /** `allow_unknown_keys`: config.toml keys accepted although the embedded schema lacks them. */
  allowUnknownKeys: ReadonlySet<string>;
}

const EXAMPLE = [
  "concurrent = 4",
  "",
  "[[client_configs]]",
  'url = "https://gitlab.example.com"',
  'personal_access_token_file = "gitlab.example.com.token"',
].join("\n");

/**
 * Loads and validates the template. Problems go to `ctx.problems`; returns undefined when the file
 * cannot be read or parsed at all.
 */
export async function loadTemplate(
  file: string,
  executorDir: string,
  ctx: LoadContext,
): Promise<Template | undefined> {
  const doc = await ctx.problems.capture(() => openTemplate(file, ctx));
  if (doc === undefined) return undefined;
  const allowUnknownKeys = loadAllowList(doc, ctx);
  const { globals, suggested } = loadGlobals(doc, executorDir, allowUnknownKeys, ctx);
  const clients: ClientConfig[] = [];
  const clientKeys: string[] = [];
  const raw = doc.data.client_configs;
  const hint = `Add one [[client_configs]] table per GitLab, e.g.\n${EXAMPLE}`;
  if (raw === undefined) {
    // A misspelt `[[client_config]]` is reported as that unknown key instead.
    if (!suggested.has("client_configs")) {
      ctx.problems.add(doc.error([], "has no `client_configs`", hint));
    }
  } else if (!Array.isArray(raw) || raw.length === 0) {
    const what = Array.isArray(raw) ? "is empty" : "must be an array of tables";
    ctx.problems.add(doc.error(["client_configs"], what, hint));
  } else {
    const firstIndex = new Map<string, number>();
    for (const [index, entry] of raw.entries()) {
      if (!isTable(entry)) {
        ctx.problems.add(doc.error(["client_configs", index], "must be a table", hint));
        continue;
      }
      const { client, key } = await loadClient(doc, index, entry, ctx);
      if (key === undefined) continue;
      const first = firstIndex.get(key);
      if (first !== undefined) {
        ctx.problems.add(doc.error(
          ["client_configs", index, "url"],
          `is the same GitLab as client_configs[${first}].url (${key})`,
          "Keep one client_configs entry per GitLab.",
        ));
        continue;
      }
      firstIndex.set(key, index);
      clientKeys.push(key);
      if (client) clients.push(client);
    }
  }
  return { globals, clients, clientKeys, allowUnknownKeys };
}

async function openTemplate(file: string, ctx: LoadContext): Promise<TomlDoc> {
  const info = await statIfExists(file);
  if (info === undefined) {
    throw new InputError(`${file}: does not exist`, {
      where: { file },
      hint: `Create ${file} (chmod 600) with the gitlab-runner global settings and the GitLabs ` +
        `to register with, e.g.\n${EXAMPLE}`,
    });
  }
  if (ctx.checkPermissions && info.isFile) {
    const problem = privacyProblem(file, info, "it may hold tokens.");
    if (problem && controlledByOthers(info)) throw problem; // not read: see controlledByOthers
    if (problem) ctx.problems.add(problem);
  }
  return await readTomlDoc(file, SYNTAX_HINT);
}

const ALLOW_ENTRY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const ALLOW_HINT = 'Write allow_unknown_keys = ["runners.docker.new_key"]: each entry a key as ' +
  "config.toml spells it (as `gitlab-runner lint` prints it), global keys without a prefix.";

/** The template's `allow_unknown_keys` (see the README's "Keys newer than the embedded schema"). */
function loadAllowList(doc: TomlDoc, ctx: LoadContext): Set<string> {
  const allow = new Set<string>();
  const raw = doc.data.allow_unknown_keys;
  if (raw === undefined) return allow;
  if (!Array.isArray(raw)) {
    ctx.problems.add(doc.error(
      ["allow_unknown_keys"],
      checkValue(raw, "string[]") ?? "must be an array of strings",
      ALLOW_HINT,
    ));
    return allow;
  }
  raw.forEach((entry: unknown, i) => {
    const path = ["allow_unknown_keys", i];
    if (typeof entry !== "string" || !ALLOW_ENTRY.test(entry)) {
      const what = typeof entry === "string"
        ? `"${entry.slice(0, 100)}" is not a dotted key such as "runners.docker.new_key"`
        : checkValue(entry, "string");
      ctx.problems.add(doc.error(path, what ?? "is invalid", ALLOW_HINT));
    } else if (schemaKnows(entry)) {
      ctx.warnings.push(doc.warning(
        path,
        `"${entry}" is a key gitlab-runner ${RUNNER_SCHEMA_VERSION} knows; the entry is not needed.`,
      ));
    } else allow.add(entry);
  });
  return allow;
}

function loadGlobals(
  doc: TomlDoc,
  executorDir: string,
  allow: ReadonlySet<string>,
  ctx: LoadContext,
): { globals: Record<string, unknown>; suggested: Set<string> } {
  const globals: Record<string, unknown> = {};
  const unknown = findUnknownKeys(GLOBAL_TABLE, doc.data, {
    path: [],
    name: "",
    allow,
    skip: (key) => TEMPLATE_KEYS.includes(key) || key === "runners",
    exact: ["runners"],
    candidates: [
      ...Object.keys(GLOBAL_TABLE.keys).filter((k) => k !== "runners"),
      ...TEMPLATE_KEYS,
    ],
  });
  const suggested = new Set<string>();
  // A GitLab credential outside client_configs is refused as such, allowed or not.
  const credentials = findMisplacedCredentials(doc.data, (key) => key === "client_configs");
  for (const found of credentials) {
    const { what, hint } = misplacedCredentialMessage(found, doc.file, doc.file);
    ctx.problems.add(doc.error(found.path, what, hint));
  }
  const refused = new Set(credentials.map((c) => formatKeyPath(c.path)));
  for (const u of unknown) {
    if (refused.has(formatKeyPath(u.path))) continue;
    ctx.problems.add(unknownKeyError(doc, u, doc.file));
    if (u.suggestion !== undefined) suggested.add(u.suggestion);
  }
  for (const [key, value] of Object.entries(doc.data)) {
    if (TEMPLATE_KEYS.includes(key)) continue;
    if (key === "runners") {
      ctx.problems.add(doc.error(
        ["runners"],
        "runners must not be defined in the template; each runner comes from an executor file",
        `Move each [[runners]] entry into its own file ${executorDir}/NAME.toml, with its keys ` +
          "at the top level ([runners.docker] becomes [docker]), then remove it from the template.",
      ));
      continue;
    }
    globals[key] = value;
    const expect = lookup(GLOBAL_TYPES, key);
    if (expect === undefined) continue;
    const wrong = checkValue(value, expect);
    if (wrong !== undefined) ctx.problems.add(doc.error([key], wrong));
    else if (key === "concurrent" && typeof value === "number" && value < 1) {
      ctx.problems.add(doc.error(
        [key],
        `is ${value}; gitlab-runner refuses to start with less than 1`,
        "Set concurrent to the number of jobs this host may run at once (at least 1).",
      ));
    }
  }
  return { globals, suggested };
}
