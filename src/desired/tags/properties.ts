/**
 * The tag properties object, as the Python gitlab-runner-auth built it: `{hostname, instance,
 * executor_type, env, …facts}`, updated by a capture program's output, validated against the tag
 * schema, then flattened into tags (every leaf value, in order). Pure.
 *
 * @module
 */

import type { CpuFacts } from "../facts/cpu.ts";
import { FACT_PROPERTY, type FactName } from "../../inputs/fact_selection.ts";

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {
  [key: string]: JsonValue;
};

/** The tag properties object: JSON, validated by the tag schema, flattened into tags. */
export type TagProperties = { [key: string]: JsonValue };

/** Properties register-runner always sets; a tag schema's enums never reclassify them. */
export const IDENTITY_PROPERTIES: readonly string[] = [
  "hostname",
  "instance",
  "executor_type",
  "env",
];

/** What a tag schema tells the env-value classification. */
export interface EnvClassifier {
  /** Top-level properties with a string `enum`, in schema order. */
  enums: ReadonlyArray<{ property: string; values: readonly string[] }>;
  /** Prefix of unrecognised env values (`custom-name`, default `custom`). */
  customName: string;
}

/** Inputs of {@link buildProperties}. */
export interface PropertyInputs {
  hostname: string;
  instance: string;
  executor: string;
  /** Values of the executor's `env_tags` present in the environment, already checked. */
  envValues: readonly string[];
  /** The facts this executor wants. */
  facts: readonly FactName[];
  /** The host CPU; facts about it are skipped when unknown. */
  cpu?: CpuFacts | undefined;
  /** The batch scheduler found on `$PATH`, if any. */
  scheduler?: string | undefined;
  /** With a tag schema: classify env values against its enums. */
  classifier?: EnvClassifier | undefined;
}

/**
 * The properties before any capture program: `hostname`, `instance`, `executor_type`, `env`,
 * then the wanted facts (`architecture`, `micro-architecture` = the microarchitecture and/or its
 * ancestors, `scheduler`). With a tag schema, each env value that is in a property's `enum` also
 * sets that property (a later value wins, as in the Python tool); the others are added to
 * `custom` as `{custom-name}_{value}`.
 */
export function buildProperties(input: PropertyInputs): TagProperties {
  const properties: TagProperties = {
    hostname: input.hostname,
    instance: input.instance,
    executor_type: input.executor,
    env: [...input.envValues],
  };
  const { cpu, facts } = input;
  if (cpu !== undefined && facts.includes("architecture")) {
    properties[FACT_PROPERTY.architecture] = cpu.architecture;
  }
  const micro: string[] = [];
  if (cpu !== undefined && facts.includes("microarchitecture")) micro.push(cpu.microarchitecture);
  if (cpu !== undefined && facts.includes("microarchitecture_ancestors")) {
    micro.push(...cpu.ancestors);
  }
  if (micro.length > 0) properties[FACT_PROPERTY.microarchitecture] = [...new Set(micro)];
  if (input.scheduler !== undefined && facts.includes("scheduler")) {
    properties[FACT_PROPERTY.scheduler] = input.scheduler;
  }
  if (input.classifier !== undefined) classifyEnv(properties, input.envValues, input.classifier);
  return properties;
}

function classifyEnv(
  properties: TagProperties,
  values: readonly string[],
  classifier: EnvClassifier,
): void {
  const custom: string[] = [];
  for (const value of values) {
    const known = classifier.enums.find((e) =>
      !IDENTITY_PROPERTIES.includes(e.property) && e.property !== "custom" &&
      e.values.includes(value)
    );
    if (known !== undefined) properties[known.property] = value;
    else custom.push(`${classifier.customName}_${value}`);
  }
  if (custom.length > 0) properties.custom = custom;
}

/**
 * `properties` updated with a capture program's output, like Python's `dict.update`: top-level
 * keys are replaced (keeping their place) or appended; a `null` value removes the key.
 */
export function mergeCaptured(properties: TagProperties, captured: TagProperties): TagProperties {
  const merged: TagProperties = { ...properties };
  for (const [key, value] of Object.entries(captured)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** One leaf of the properties: its path (`micro-architecture[1]`) and value. */
export interface Leaf<T = JsonValue> {
  path: string;
  value: T;
}

/**
 * Every leaf of `properties`, in order (object values and array items, recursively), split into
 * tag candidates (strings trimmed, numbers written out) and leaves that cannot be tags
 * (booleans, nulls).
 */
export function flattenProperties(
  properties: TagProperties,
): { values: Leaf<string>[]; skipped: Leaf[] } {
  const values: Leaf<string>[] = [];
  const skipped: Leaf[] = [];
  const walk = (value: JsonValue, path: string): void => {
    if (typeof value === "string") values.push({ path, value: value.trim() });
    else if (typeof value === "number") values.push({ path, value: String(value) });
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
    } else skipped.push({ path, value });
  };
  for (const [key, value] of Object.entries(properties)) walk(value, key);
  return { values, skipped };
}
