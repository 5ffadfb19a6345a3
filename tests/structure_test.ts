/**
 * The house rules of `src/`, checked on the real tree: its top-level folders are the stages of the
 * data flow and import one way (no folder-level import cycle), and at most three loose `.ts` files
 * sit at the top of `src/`. See ARCHITECTURE.md.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, normalize, relative } from "node:path";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Every `.ts` file under `dir` (tests included: a test may import only its own stage and below). */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await tsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** The relative module specifiers a source file imports, statically or dynamically. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.[^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) specs.push(match[1]!);
  return specs;
}

/** The top-level stage (folder under src/) a path belongs to, or "" for a loose file. */
function stageOf(pathUnderSrc: string): string {
  const parts = pathUnderSrc.split("/");
  return parts.length > 1 ? parts[0]! : "";
}

/** Folder-level edges `from -> to` of src/'s non-test modules, with one example import for each. */
async function folderEdges(): Promise<Map<string, string>> {
  const edges = new Map<string, string>();
  for (const file of await tsFiles(SRC)) {
    if (file.endsWith("_test.ts")) continue;
    const from = stageOf(relative(SRC, file));
    for (const spec of importsOf(await Deno.readTextFile(file))) {
      const target = relative(SRC, normalize(join(dirname(file), spec)));
      if (target.startsWith("..")) continue;
      const to = stageOf(target);
      if (from !== "" && to !== "" && from !== to && !edges.has(`${from} -> ${to}`)) {
        edges.set(`${from} -> ${to}`, `${relative(SRC, file)} imports ${spec}`);
      }
    }
  }
  return edges;
}

/** A cycle in a directed graph given as `a -> b` edges, as the list of its nodes, or undefined. */
export function findCycle(edges: Iterable<string>): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    const [a, b] = edge.split(" -> ") as [string, string];
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      const found = visit(to);
      if (found) return found;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of next.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

Deno.test("findCycle finds a folder cycle and accepts a layered graph", () => {
  assertEquals(findCycle(["a -> b", "b -> c", "c -> a"]), ["a", "b", "c", "a"]);
  assertEquals(findCycle(["commands -> reconcile", "reconcile -> commands"]), [
    "commands",
    "reconcile",
    "commands",
  ]);
  assertEquals(findCycle(["a -> b", "b -> c", "a -> c"]), undefined);
});

Deno.test("importsOf reads static, type-only, re-exported and dynamic imports", () => {
  const source = [
    `import { a } from "./a.ts";`,
    `import type { B } from "../b/b.ts";`,
    `export { c } from "./c.ts";`,
    `const { d } = await import("../d/d.ts");`,
    `import "./side_effect.ts";`,
    `import { parseArgs } from "node:util";`,
  ].join("\n");
  assertEquals(importsOf(source), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "../d/d.ts",
    "./side_effect.ts",
  ]);
});

Deno.test("src/: no import cycle between its folders", async () => {
  const edges = await folderEdges();
  const cycle = findCycle(edges.keys());
  const detail = cycle?.slice(1).map((to, i) => edges.get(`${cycle[i]} -> ${to}`)).join("; ");
  assertEquals(cycle, undefined, `folder import cycle ${cycle?.join(" -> ")}: ${detail}`);
});

Deno.test("src/: at most three loose .ts files at the top, and every folder is in ARCHITECTURE.md", async () => {
  const loose: string[] = [];
  const folders: string[] = [];
  for await (const entry of Deno.readDir(SRC)) {
    if (entry.isFile && entry.name.endsWith(".ts")) loose.push(entry.name);
    if (entry.isDirectory) folders.push(entry.name);
  }
  assertEquals(loose.length <= 3, true, `loose files in src/: ${loose.join(", ")}`);
  const architecture = await Deno.readTextFile(new URL("../ARCHITECTURE.md", import.meta.url));
  const missing = folders.filter((name) => !architecture.includes(`src/${name}/`));
  assertEquals(missing, [], "folders of src/ that ARCHITECTURE.md does not name");
});
