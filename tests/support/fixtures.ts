/**
 * Test fixtures and data helpers: a validated executor file and a site (defaults that tests
 * override field by field), a seeded PRNG, and a normaliser that makes parsed TOML comparable.
 *
 * @module
 */

import type { ExecutorSpec, Site } from "../../src/kernel/model.ts";

/** An executor file `/p/main/{key}.toml` for gitlab.example.com, with `extra` laid over. */
export function executorSpec(
  key: string,
  executor: string,
  extra: Partial<ExecutorSpec> = {},
): ExecutorSpec {
  return {
    key,
    file: `/p/main/${key}.toml`,
    clientKey: "https://gitlab.example.com",
    executor,
    envTags: [],
    extraTags: [],
    attributes: { run_untagged: false, locked: false, paused: false },
    runnerKeys: {},
    ...extra,
  };
}

/** A site with prefix `/p`, instance `main` and the given executors. */
export function siteOf(executors: ExecutorSpec[]): Site {
  return {
    prefix: "/p",
    instance: "main",
    templateFile: "/p/config.template.main.toml",
    executorDir: "/p/main",
    outputFile: "/p/config.main.toml",
    globals: {},
    clients: [],
    executors,
  };
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Turns parsed or generated values into plain data for `deepStrictEqual`: objects lose their
 * prototype (smol-toml returns null-prototype objects), dates become `{ $date: iso }` (smol-toml
 * returns `TomlDate`s), `undefined` members disappear (the encoder skips them).
 */
export function normalize(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = normalize(item);
    }
    return out;
  }
  return value;
}
