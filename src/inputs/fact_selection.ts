/**
 * Which host facts become tags for one executor: the `facts` key of an executor file, its
 * validation, and the defaults (none without a tag schema, so upgraded hosts keep their tags).
 *
 * @module
 */

import type { FactName } from "../kernel/model.ts";

export type { FactName };

/** The host facts an executor file may ask for, in the order their tags appear. */
export const FACT_NAMES: readonly FactName[] = [
  "architecture",
  "microarchitecture",
  "microarchitecture_ancestors",
  "scheduler",
];

/**
 * An executor file's `facts` key: `true` (every fact that applies), `false` (none) or the list
 * of facts wanted.
 */
export type FactSelection = boolean | readonly FactName[];

/** Executor types that submit jobs to a batch scheduler (Jacamar CI uses `custom`). */
export const BATCH_EXECUTORS: readonly string[] = ["batch", "custom"];

/** The tag-properties key each fact fills (the Python tool's names). */
export const FACT_PROPERTY: Readonly<Record<FactName, string>> = {
  architecture: "architecture",
  microarchitecture: "micro-architecture",
  microarchitecture_ancestors: "micro-architecture",
  scheduler: "scheduler",
};

/** True when `name` is one of {@link FACT_NAMES}. */
export function isFactName(name: string): name is FactName {
  return (FACT_NAMES as readonly string[]).includes(name);
}

/** A problem with the `facts` value: the index of the bad item (if any) and what is wrong. */
export interface SelectionProblem {
  index?: number;
  what: string;
}

/** The hint shown with every `facts` problem. */
export const FACTS_HINT = `Write facts = true, facts = false, or a list of ${
  FACT_NAMES.map((n) => `"${n}"`).join(", ")
}.`;

/**
 * Checks a parsed `facts` value. Returns the selection, or the problems found (one per bad
 * item). Duplicates in a list are dropped.
 */
export function parseFactSelection(
  value: unknown,
): { selection: FactSelection } | { problems: SelectionProblem[] } {
  if (typeof value === "boolean") return { selection: value };
  if (!Array.isArray(value)) {
    return { problems: [{ what: "must be true, false or an array of fact names" }] };
  }
  const problems: SelectionProblem[] = [];
  const names: FactName[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item !== "string") {
      problems.push({ index, what: "must be a string (a fact name)" });
    } else if (!isFactName(item)) {
      problems.push({
        index,
        what: `"${item.slice(0, 64)}" is not a fact; known: ${FACT_NAMES.join(", ")}`,
      });
    } else if (!names.includes(item)) names.push(item);
  });
  return problems.length > 0 ? { problems } : { selection: names };
}

/**
 * The facts that become tags for an executor of type `executor`:
 * - a list: exactly those facts;
 * - `false`: none;
 * - `true`: all of them, `scheduler` only for batch-style executors ({@link BATCH_EXECUTORS});
 * - unset without a tag schema: none (tags stay as they were before facts existed);
 * - unset with a tag schema: the facts whose property the schema declares (`architecture`,
 *   `micro-architecture`, `scheduler`), `scheduler` only for batch-style executors.
 */
export function factsFor(
  selection: FactSelection | undefined,
  executor: string,
  schemaProperties?: readonly string[],
): FactName[] {
  if (Array.isArray(selection)) return [...selection];
  if (selection === false) return [];
  const batch = BATCH_EXECUTORS.includes(executor);
  if (selection === true) return FACT_NAMES.filter((n) => n !== "scheduler" || batch);
  if (schemaProperties === undefined) return [];
  return FACT_NAMES.filter((n) =>
    schemaProperties.includes(FACT_PROPERTY[n]) && (n !== "scheduler" || batch)
  );
}
