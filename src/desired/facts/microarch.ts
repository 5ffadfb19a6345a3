/**
 * Queries over the microarchitecture table: lookup, family, ancestors and archspec's
 * "most specific" ordering.
 *
 * @module
 */

import { type MicroarchEntry, MICROARCHITECTURES } from "./microarch_data.ts";

const BY_NAME: ReadonlyMap<string, MicroarchEntry> = new Map(
  MICROARCHITECTURES.map((entry) => [entry.name, entry]),
);

/** Position of each entry in the table, used to break ties the way archspec does. */
const POSITION: ReadonlyMap<string, number> = new Map(
  MICROARCHITECTURES.map((entry, index) => [entry.name, index]),
);

/** The table entry called `name`, if there is one. */
export function getMicroarch(name: string): MicroarchEntry | undefined {
  return BY_NAME.get(name);
}

function mustGet(name: string): MicroarchEntry {
  const entry = BY_NAME.get(name);
  if (entry === undefined) throw new Error(`unknown microarchitecture ${JSON.stringify(name)}`);
  return entry;
}

/**
 * Ancestors in archspec's own order: the parents, then each parent's ancestors not yet listed.
 * Used only to break ties between ancestors at the same distance.
 */
function archspecAncestors(name: string): string[] {
  const result = [...mustGet(name).parents];
  for (const parent of mustGet(name).parents) {
    for (const ancestor of archspecAncestors(parent)) {
      if (!result.includes(ancestor)) result.push(ancestor);
    }
  }
  return result;
}

/** Longest path (in edges) from `name` up to each of its ancestors. */
function longestDistances(name: string): Map<string, number> {
  const distances = new Map<string, number>();
  const visit = (current: string, depth: number): void => {
    for (const parent of mustGet(current).parents) {
      if ((distances.get(parent) ?? 0) < depth + 1) distances.set(parent, depth + 1);
      visit(parent, depth + 1);
    }
  };
  visit(name, 0);
  return distances;
}

const ancestorCache = new Map<string, readonly string[]>();

/**
 * Every ancestor of `name`, nearest first and ending at the family root (e.g. for `zen2`:
 * `zen, x86_64_v3, x86_64_v2, x86_64`). "Nearest" is the longest path from `name`, so a
 * generic level reached both directly and through a vendor chain sorts after that chain, and
 * the root, which every ancestor leads to, is always last. Ties keep archspec's order.
 * Throws for a name that is not in the table.
 */
export function ancestorsOf(name: string): readonly string[] {
  const cached = ancestorCache.get(name);
  if (cached !== undefined) return cached;
  const order = archspecAncestors(name);
  const distance = longestDistances(name);
  const sorted = [...order].sort((a, b) =>
    (distance.get(a) ?? 0) - (distance.get(b) ?? 0) || order.indexOf(a) - order.indexOf(b)
  );
  ancestorCache.set(name, sorted);
  return sorted;
}

/** The family root of `name` (`x86_64`, `aarch64`, `ppc64le`, ...): itself for a root. */
export function familyOf(name: string): string {
  const ancestors = ancestorsOf(name);
  return ancestors[ancestors.length - 1] ?? name;
}

/** Every table entry whose family root is `family` (the root included), in table order. */
export function familyMembers(family: string): MicroarchEntry[] {
  return MICROARCHITECTURES.filter((entry) => familyOf(entry.name) === family);
}

/**
 * archspec's preference between compatible candidates: the deeper in the tree (more
 * ancestors), then the one requiring more features. Positive when `a` is preferred.
 */
function compareSpecificity(a: MicroarchEntry, b: MicroarchEntry): number {
  return ancestorsOf(a.name).length - ancestorsOf(b.name).length ||
    a.features.length - b.features.length;
}

/**
 * The most specific of `candidates` (see {@link compareSpecificity}); on a tie the one earlier
 * in the table wins, as with archspec's `max()`. `undefined` for an empty list.
 */
export function mostSpecific(
  candidates: readonly MicroarchEntry[],
): MicroarchEntry | undefined {
  let best: MicroarchEntry | undefined;
  for (const candidate of candidates) {
    if (best === undefined) {
      best = candidate;
      continue;
    }
    const order = compareSpecificity(candidate, best) ||
      (POSITION.get(best.name) ?? 0) - (POSITION.get(candidate.name) ?? 0);
    if (order > 0) best = candidate;
  }
  return best;
}
