/**
 * One executor file `{prefix}/{instance}/NAME.toml`, validated into an {@link ExecutorSpec}:
 * the GitLab it registers with, the executor, tags, server-side attributes, and the gitlab-runner
 * `[[runners]]` keys passed through to config.toml.
 *
 * @module
 */

import type { ExecutorSpec, ServerAttributes } from "../kernel/model.ts";
import { FACTS_HINT, type FactSelection, parseFactSelection } from "./fact_selection.ts";
import type { LoadContext } from "./context.ts";
import { formatKeyPath, type KeyPath } from "./key_lines.ts";
import { findMisplacedCredentials, misplacedCredentialMessage } from "./misplaced_credentials.ts";
import {
  EXECUTOR_KEYS,
  GENERATED_KEYS,
  KNOWN_EXECUTORS,
  lookup,
  RUNNER_TYPES,
  suggestion,
} from "./keys.ts";
import {
  findUnknownKeys,
  RUNNER_TABLE,
  type UnknownKey,
  unknownKeyError,
} from "./runner_schema.ts";
import type { TomlDoc } from "./toml_file.ts";
import { normalizeUrl } from "./url.ts";
import { checkValue, describeValue, isTable } from "./values.ts";

/** Valid executor names (gitlab-runner's are like `docker+machine`). */
export const EXECUTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TAG_LENGTH = 255;
const MAX_NOTE_LENGTH = 1024;
const MIN_TIMEOUT = 600;
const MAX_TIMEOUT = 2_147_483_647;
const ACCESS_LEVELS = ["not_protected", "ref_protected"] as const;

/** Where the executor file's `url` must come from. */
export interface ClientIndex {
  /** The template file (for messages). */
  templateFile: string;
  /** Normalised client URLs; undefined when the template could not be read (no URL check). */
  keys: readonly string[] | undefined;
  /** The template's `allow_unknown_keys` (config.toml names such as `runners.docker.new_key`). */
  allowUnknownKeys: ReadonlySet<string>;
}

/** Validates one parsed executor file; problems go to `ctx.problems`. */
export function validateExecutor(
  doc: TomlDoc,
  key: string,
  clients: ClientIndex,
  ctx: LoadContext,
): ExecutorSpec | undefined {
  const before = ctx.problems.count;
  const fail: Fail = (path, what, hint) => {
    ctx.problems.add(doc.error(path, what, hint));
    return undefined;
  };
  // A GitLab credential here is refused as such (never copied into config.toml), allowed or not.
  const credentials = findMisplacedCredentials(doc.data);
  for (const found of credentials) {
    const { what, hint } = misplacedCredentialMessage(found, doc.file, clients.templateFile);
    fail(found.path, what, hint);
  }
  const refused = new Set(credentials.map((c) => formatKeyPath(c.path)));
  const unknown = unknownKeys(doc, clients).filter((u) => !refused.has(formatKeyPath(u.path)));
  // A key whose misspelling was found is reported as that unknown key, not as missing.
  const misspelt = new Set(
    unknown.filter((u) => u.suggestion !== undefined).map((u) =>
      [...u.path.slice(0, -1), u.suggestion].join(".")
    ),
  );
  const clientKey = executorUrl(doc, clients, misspelt, fail);
  const executor = executorName(doc, ctx, misspelt, fail);
  const envTags = stringList(
    doc,
    "env_tags",
    fail,
    (name) => ENV_NAME.test(name) ? undefined : "is not an environment variable name",
  );
  const extraTags = stringList(doc, "tags", fail, tagProblem);
  const facts = factSelection(doc, fail);
  const attributes = serverAttributes(doc, fail);
  const runnerKeys = passThrough(doc, unknown, clients.templateFile, ctx, fail);
  if (executor === "custom") {
    const custom = doc.data.custom;
    const runExec = isTable(custom) ? custom.run_exec : undefined;
    const missing = runExec === undefined && misspelt.has("custom.run_exec");
    if (!missing && (typeof runExec !== "string" || runExec.trim() === "")) {
      fail(
        ["custom", "run_exec"],
        "is required by the custom executor",
        'Add a [custom] table with run_exec = "/path/to/run-script".',
      );
    }
  }
  if (ctx.problems.count > before || clientKey === undefined || executor === undefined) {
    return undefined;
  }
  const spec: ExecutorSpec = {
    key,
    file: doc.file,
    clientKey,
    executor,
    envTags,
    extraTags,
    attributes,
    runnerKeys,
  };
  if (facts !== undefined) spec.facts = facts;
  return spec;
}

/** The `facts` key: which host facts become tags (see src/inputs/fact_selection.ts). */
function factSelection(doc: TomlDoc, fail: Fail): FactSelection | undefined {
  const value = doc.data.facts;
  if (value === undefined) return undefined;
  const parsed = parseFactSelection(value);
  if ("selection" in parsed) return parsed.selection;
  for (const p of parsed.problems) {
    const item = p.index === undefined ? value : (value as unknown[])[p.index];
    const what = p.index !== undefined && typeof item === "string"
      ? p.what
      : `${p.what}, not ${describeValue(item)}`;
    fail(p.index === undefined ? ["facts"] : ["facts", p.index], what, FACTS_HINT);
  }
  return undefined;
}

type Fail = (path: KeyPath, what: string, hint?: string) => undefined;

function executorUrl(
  doc: TomlDoc,
  clients: ClientIndex,
  misspelt: ReadonlySet<string>,
  fail: Fail,
): string | undefined {
  const url = doc.data.url;
  const known = clients.keys;
  const list = known === undefined || known.length === 0 ? "(none)" : known.join(", ");
  const hint = `Set url to the GitLab URL of one of the client_configs in ${clients.templateFile}.`;
  if (url === undefined) return misspelt.has("url") ? undefined : fail(["url"], "is missing", hint);
  if (typeof url !== "string") {
    return fail(["url"], `must be a string, not ${describeValue(url)}`, hint);
  }
  const key = normalizeUrl(url);
  if (known !== undefined && !known.includes(key)) {
    return fail(
      ["url"],
      `"${url.slice(0, 200)}" matches no client_configs url (known: ${list})`,
      `Use one of the known URLs, or add a [[client_configs]] entry for it to ${clients.templateFile}.`,
    );
  }
  return key;
}

function executorName(
  doc: TomlDoc,
  ctx: LoadContext,
  misspelt: ReadonlySet<string>,
  fail: Fail,
): string | undefined {
  const value = doc.data.executor;
  const hint = `Set executor to a gitlab-runner executor: ${KNOWN_EXECUTORS.join(", ")}.`;
  if (value === undefined) {
    return misspelt.has("executor") ? undefined : fail(["executor"], "is missing", hint);
  }
  if (typeof value !== "string") {
    return fail(["executor"], `must be a string, not ${describeValue(value)}`, hint);
  }
  if (!EXECUTOR_NAME.test(value)) {
    return fail(["executor"], `"${value.slice(0, 64)}" is not a valid executor name`, hint);
  }
  if (!KNOWN_EXECUTORS.includes(value)) {
    ctx.warnings.push(doc.warning(
      ["executor"],
      `"${value}" is not an executor gitlab-runner ships.${suggestion(value, KNOWN_EXECUTORS)}`,
    ));
  }
  return value;
}

function tagProblem(tag: string): string | undefined {
  if (tag === "") return "is empty";
  if (tag.includes(",")) return "contains a comma (GitLab splits tags on commas)";
  if (tag.trim() !== tag) return "has leading or trailing whitespace (GitLab strips it)";
  if (tag.length > MAX_TAG_LENGTH) return `is longer than ${MAX_TAG_LENGTH} characters`;
  return undefined;
}

function stringList(
  doc: TomlDoc,
  key: "env_tags" | "tags",
  fail: Fail,
  check: (item: string) => string | undefined,
): string[] {
  const value = doc.data[key];
  if (value === undefined) return [];
  const hint = key === "tags"
    ? 'Write tags = ["tag-one", "tag-two"].'
    : 'Write env_tags = ["VARIABLE_NAME"]; each variable\'s value becomes a tag.';
  if (!Array.isArray(value)) {
    fail([key], `must be an array of strings, not ${describeValue(value)}`, hint);
    return [];
  }
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    const what = typeof item === "string"
      ? check(item)
      : `must be a string, not ${describeValue(item)}`;
    if (what === undefined) out.push(item as string);
    else fail([key, i], what, hint);
  });
  return out;
}

function serverAttributes(doc: TomlDoc, fail: Fail): ServerAttributes {
  const data = doc.data;
  const flag = (key: "run_untagged" | "locked" | "paused"): boolean => {
    const value = data[key];
    if (value === undefined || typeof value === "boolean") return value ?? false;
    fail([key], `must be true or false, not ${describeValue(value)}`);
    return false;
  };
  const attributes: ServerAttributes = {
    run_untagged: flag("run_untagged"),
    locked: flag("locked"),
    paused: flag("paused"),
  };
  const level = data.access_level;
  if (level !== undefined) {
    const wrong = checkValue(level, ACCESS_LEVELS);
    if (wrong === undefined) attributes.access_level = level as typeof ACCESS_LEVELS[number];
    else fail(["access_level"], wrong);
  }
  const timeout = data.maximum_timeout;
  if (timeout !== undefined) {
    const wrong = checkValue(timeout, "integer");
    if (wrong !== undefined) fail(["maximum_timeout"], wrong);
    else if (typeof timeout !== "number" || timeout < MIN_TIMEOUT || timeout > MAX_TIMEOUT) {
      fail(
        ["maximum_timeout"],
        `is ${timeout}; it must be between ${MIN_TIMEOUT} and ${MAX_TIMEOUT} seconds`,
        "GitLab refuses a maximum job timeout under 10 minutes.",
      );
    } else attributes.maximum_timeout = timeout;
  }
  const note = data.maintenance_note;
  if (note !== undefined) {
    if (typeof note !== "string") {
      fail(["maintenance_note"], `must be a string, not ${describeValue(note)}`);
    } else if ([...note].length > MAX_NOTE_LENGTH) {
      fail(["maintenance_note"], `is longer than ${MAX_NOTE_LENGTH} characters`);
    } else attributes.maintenance_note = note;
  }
  return attributes;
}

/** The `[[runners]]` keys register-runner reads itself and must see spelt exactly. */
const OWN_SCHEMA_KEYS = [...EXECUTOR_KEYS, ...Object.keys(GENERATED_KEYS), "runners"];

/** The keys of the file that neither gitlab-runner's schema nor register-runner knows. */
function unknownKeys(doc: TomlDoc, clients: ClientIndex): UnknownKey[] {
  return findUnknownKeys(RUNNER_TABLE, doc.data, {
    path: [],
    name: "runners",
    allow: clients.allowUnknownKeys,
    skip: (key) =>
      EXECUTOR_KEYS.includes(key) || Object.hasOwn(GENERATED_KEYS, key) || key === "runners",
    exact: OWN_SCHEMA_KEYS,
    candidates: [
      ...EXECUTOR_KEYS,
      ...Object.keys(RUNNER_TABLE.keys).filter((k) => !OWN_SCHEMA_KEYS.includes(k)),
    ],
  });
}

function passThrough(
  doc: TomlDoc,
  unknown: readonly UnknownKey[],
  templateFile: string,
  ctx: LoadContext,
  fail: Fail,
): Record<string, unknown> {
  for (const u of unknown) ctx.problems.add(unknownKeyError(doc, u, templateFile));
  const unknownTop = new Set(unknown.filter((u) => u.path.length === 1).map((u) => u.path[0]));
  const runnerKeys: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.data)) {
    if (EXECUTOR_KEYS.includes(key) || unknownTop.has(key)) continue;
    const generated = lookup(GENERATED_KEYS, key);
    if (generated !== undefined) {
      fail([key], `must not be set: ${generated}`, `Remove \`${key}\` from ${doc.file}.`);
      continue;
    }
    if (key === "runners") {
      fail(
        [key],
        "an executor file holds one runner's keys at the top level, not [[runners]] or [runners.*]",
        "Remove the [[runners]] line and write [docker] instead of [runners.docker], etc.",
      );
      continue;
    }
    const expect = lookup(RUNNER_TYPES, key);
    if (expect !== undefined) {
      const wrong = checkValue(value, expect);
      if (wrong !== undefined) {
        fail([key], wrong);
        continue;
      }
    }
    runnerKeys[key] = value;
  }
  return runnerKeys;
}
