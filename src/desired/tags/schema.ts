/**
 * `--tag-schema FILE`: a JSON Schema the tag properties must satisfy before they are flattened
 * into tags, as in the Python gitlab-runner-auth. Validated with ajv; draft-07 by default,
 * 2019-09 and 2020-12 when `$schema` says so. Like Python's `jsonschema`, unknown keywords (the
 * LLNL sample's `custom-name`) are ignored, `format` is not checked, and an unknown `$schema` is
 * read as the latest draft.
 *
 * @module
 */

import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { resolve } from "node:path";
import { InputError } from "../../kernel/errors.ts";
import { readTextFile } from "../../inputs/fs.ts";

/** The largest tag schema read (a schema is a few KiB; `/dev/zero` is not one). */
export const MAX_SCHEMA_BYTES = 1024 * 1024;
import type { EnvClassifier, JsonValue, TagProperties } from "./properties.ts";

/** A loaded, compiled tag schema. */
export interface TagSchema extends EnvClassifier {
  /** Absolute path of the schema file. */
  file: string;
  /** The top-level property names the schema declares, in order. */
  properties: readonly string[];
  /** Unknown keywords and the like, worth a warning. */
  warnings: readonly string[];
  /** The problems that make `properties` invalid, in words; empty when valid. */
  validate(properties: TagProperties): string[];
}

/** `custom-name` when the schema does not set it (the LLNL sample's value). */
export const DEFAULT_CUSTOM_NAME = "custom";

type Draft = "draft-07" | "2019-09" | "2020-12";

/** How `$schema` is read: a dialect, possibly with a warning, or refused. */
type DraftChoice = { draft: Draft; warning?: string } | { refused: string };

/**
 * The dialect `$schema` selects. Like Python's `jsonschema` (which the Python tool used), a URI it
 * does not know is validated as the latest draft it supports (here draft-07, with a warning);
 * only draft-03 and draft-04, real dialects whose rules differ and that ajv lacks, are refused.
 */
function draftOf(uri: unknown): DraftChoice {
  if (uri === undefined) return { draft: "draft-07" };
  if (typeof uri !== "string") return { refused: "must be a string (a meta-schema URI)" };
  const u = uri.replace(/^https?:\/\//, "").replace(/#$/, "").replace(/\/$/, "");
  // `json-schema.org/schema` is "the latest draft": jsonschema (Python) and this tool read it as
  // the newest dialect both support the same way for tag schemas: draft-07.
  if (["json-schema.org/schema", "json-schema.org/draft-07/schema"].includes(u)) {
    return { draft: "draft-07" };
  }
  if (u === "json-schema.org/draft-06/schema") return { draft: "draft-07" };
  if (u === "json-schema.org/draft/2019-09/schema") return { draft: "2019-09" };
  if (u === "json-schema.org/draft/2020-12/schema") return { draft: "2020-12" };
  if (/^json-schema\.org\/draft-0[34]\/schema$/.test(u)) {
    return { refused: `${JSON.stringify(uri)} is not a supported JSON Schema dialect` };
  }
  return {
    draft: "draft-07",
    warning: `$schema ${JSON.stringify(uri.slice(0, 200))} is not a JSON Schema dialect ` +
      "register-runner knows; validating it as draft-07 (the Python tool's jsonschema also read " +
      'an unknown $schema as its latest draft). Set "$schema": ' +
      '"http://json-schema.org/draft-07/schema#" to silence this.',
  };
}

function compile(
  schema: Record<string, unknown>,
  draft: Draft,
  warn: (message: string) => void,
): ValidateFunction {
  const options: Options = {
    allErrors: true,
    strict: false,
    strictSchema: "log",
    validateFormats: false,
    logger: { log: () => {}, warn: (...args: unknown[]) => warn(args.join(" ")), error: warn },
  };
  const ajv = draft === "2020-12"
    ? new Ajv2020(options)
    : draft === "2019-09"
    ? new Ajv2019(options)
    : new Ajv(options);
  ajv.addKeyword({ keyword: "custom-name", schemaType: "string" });
  // draft-07 ajv knows only its own meta-schema URI; "latest" and draft-06 are read as draft-07.
  const copy = { ...schema };
  if (draft === "draft-07") delete copy.$schema;
  return ajv.compile(copy);
}

/** Reads and compiles `file`. Throws an InputError naming the file for every problem. */
export async function loadTagSchema(file: string): Promise<TagSchema> {
  const path = resolve(file);
  const fail = (what: string, hint: string, cause?: unknown) =>
    new InputError(`tag schema ${path}: ${what}`, { where: { file: path }, hint, cause });
  let text: string;
  try {
    text = await readTextFile(path, MAX_SCHEMA_BYTES);
  } catch (error) {
    if (error instanceof InputError) {
      throw fail(error.message.replace(`${path}: `, ""), error.hint ?? "", error);
    }
    throw fail("cannot be read", "Pass the path of a JSON Schema file to --tag-schema.", error);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw fail(
      `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      "Fix the JSON syntax (a JSON Schema is a JSON object).",
      error,
    );
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw fail("must be a JSON object (a JSON Schema)", 'Start from {"type": "object", ...}.');
  }
  const record = schema as Record<string, unknown>;
  const choice = draftOf(record.$schema);
  if ("refused" in choice) {
    throw fail(
      `$schema ${choice.refused}`,
      'Use "http://json-schema.org/draft-07/schema#" (or 2019-09, 2020-12), or leave $schema out.',
    );
  }
  const draft = choice.draft;
  const customName = record["custom-name"] ?? DEFAULT_CUSTOM_NAME;
  if (typeof customName !== "string" || !/^[^,\s]+$/.test(customName)) {
    throw fail(
      '"custom-name" must be a non-empty string without commas or spaces',
      'Write "custom-name": "custom" (unrecognised env values become tags custom_VALUE).',
    );
  }
  const found: string[] = [];
  let validator: ValidateFunction;
  try {
    validator = compile(record, draft, (m) => found.push(m));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw fail(
      `is not a valid JSON Schema: ${message}`,
      "Fix the schema; it must be self-contained (no $ref to other files).",
      error,
    );
  }
  const declared = isObject(record.properties) ? record.properties : {};
  const enums = Object.entries(declared).flatMap(([property, sub]) => {
    const values = isObject(sub) && Array.isArray(sub.enum)
      ? sub.enum.filter((v): v is string => typeof v === "string")
      : [];
    return values.length > 0 ? [{ property, values }] : [];
  });
  const warnings = [
    ...(choice.warning === undefined ? [] : [`tag schema ${path}: ${choice.warning}`]),
    ...[...new Set(found)].map((m) =>
      `tag schema ${path}: ${m.replace(/^strict mode: /, "")} (ignored)`
    ),
  ];
  return {
    file: path,
    properties: Object.keys(declared),
    enums,
    customName,
    warnings,
    validate(properties) {
      if (validator(properties)) return [];
      const errors = validator.errors ?? [];
      // An `if` error only says "must match the then schema"; the then-error says what.
      const useful = errors.filter((e) => e.keyword !== "if");
      return (useful.length > 0 ? useful : errors).map((e) => describeError(e, properties));
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `micro-architecture[0]` for `/micro-architecture/0`. */
function propertyName(pointer: string): string {
  const parts = pointer.split("/").slice(1).map((p) =>
    p.replaceAll("~1", "/").replaceAll("~0", "~")
  );
  return parts.map((p, i) => (i > 0 && /^\d+$/.test(p) ? `[${p}]` : i > 0 ? `.${p}` : p)).join("");
}

function valueAt(properties: TagProperties, pointer: string): JsonValue | undefined {
  let value: JsonValue | undefined = properties;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(value)) value = value[Number(part)];
    else if (value !== null && typeof value === "object") value = value[part];
    else return undefined;
  }
  return value;
}

function short(value: JsonValue | undefined): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One ajv error in words: which property, its value, and the rule it breaks. */
export function describeError(error: ErrorObject, properties: TagProperties): string {
  const rule = `(rule: ${error.keyword} at ${error.schemaPath})`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") {
    const missing = String(params.missingProperty);
    const where = error.instancePath === "" ? "" : ` in ${propertyName(error.instancePath)}`;
    return `required property "${missing}"${where} is missing ${rule}`;
  }
  if (error.keyword === "additionalProperties") {
    const extra = String(params.additionalProperty);
    const where = error.instancePath === "" ? "" : `${propertyName(error.instancePath)}.`;
    return `property "${where}${extra}" is not allowed by the schema ${rule}`;
  }
  const name = error.instancePath === ""
    ? "the properties object"
    : `property "${propertyName(error.instancePath)}"`;
  const value = short(valueAt(properties, error.instancePath));
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
    const allowed = params.allowedValues.map((v) => JSON.stringify(v)).join(", ");
    return `${name} is ${value}, which is not one of ${allowed} ${rule}`;
  }
  return `${name} is ${value}: ${error.message ?? "is invalid"} ${rule}`;
}
