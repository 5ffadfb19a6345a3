/**
 * `deno task docs`: writes the man page and the shell completions from the command-line
 * definitions (src/cli/spec.ts) into packaging/. `--check` only compares (exit 1 when stale).
 *
 * Usage: deno task docs [--check]
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { bashCompletion, zshCompletion } from "../src/cli/completions.ts";
import { manPage } from "../src/cli/man.ts";
import { VERSION } from "../src/kernel/version.ts";

/** The repository root. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The man page's date: fixed per version, so regenerating does not change the file. */
export const MAN_DATE = "2025-01-01";

/** The generated files, by path relative to the repository root. */
export function generatedDocs(): Record<string, string> {
  return {
    "packaging/register-runner.1": manPage(VERSION, MAN_DATE),
    "packaging/completions/register-runner.bash": bashCompletion(),
    "packaging/completions/_register-runner": zshCompletion(),
  };
}

async function main(): Promise<number> {
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const [path, text] of Object.entries(generatedDocs())) {
    const current = await Deno.readTextFile(`${ROOT}${path}`).catch(() => undefined);
    if (current === text) continue;
    if (check) {
      console.error(`${path} is stale: run deno task docs`);
      stale++;
    } else {
      await Deno.writeTextFile(`${ROOT}${path}`, text);
      console.error(`wrote ${path}`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
