/**
 * `deno task compile`: builds self-contained binaries `dist/register-runner-<arch>-linux` for
 * Linux x86_64 and aarch64 with `deno compile`, then writes `dist/SHA256SUMS`.
 *
 * `deno compile` needs Deno's `denort` runtime for each target, which it downloads from Deno's
 * server. Offline, point `DENORT_BIN` at a `denort` for the host's target and build only that
 * target: `DENORT_BIN=/path/to/denort deno task compile --host`.
 *
 * Usage: deno task compile [--host] [--target TRIPLE]... [--out-dir DIR]
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../src/kernel/version.ts";

/** The repository root (builds do not depend on the working directory). */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Target triples and the file-name suffix of their binary. */
export const TARGETS: Record<string, string> = {
  "x86_64-unknown-linux-gnu": "x86_64-linux",
  "aarch64-unknown-linux-gnu": "aarch64-linux",
};

/**
 * The permissions baked into the binary: only what register-runner needs. Reads and writes are
 * not path-restricted because the prefix is chosen at run time (`--prefix`); network access is
 * needed for the GitLab URLs in the template (hosts unknown at build time); `hostname` for tags;
 * `run` for `--capture-tags` programs and reading `/proc/cpuinfo`. No `--allow-ffi`, no
 * `--allow-sys` beyond the host name, no `--allow-all`.
 */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=hostname",
  "--allow-run",
];

/** The host's target triple, when it is one we build. */
export function hostTarget(): string | undefined {
  const triple = `${Deno.build.arch}-unknown-linux-gnu`;
  return Deno.build.os === "linux" && triple in TARGETS ? triple : undefined;
}

/** The binary's file name for a target. */
export function binaryName(target: string): string {
  return `register-runner-${TARGETS[target] ?? target}`;
}

/**
 * Builds one target into `outDir` (default `dist/` in the repository); returns the output path.
 * Throws with a clear message on failure (e.g. no `denort` runtime offline).
 */
export async function compileTarget(target: string, outDir = `${ROOT}dist`): Promise<string> {
  const suffix = TARGETS[target];
  if (!suffix) {
    throw new Error(`unsupported target ${target}; supported: ${Object.keys(TARGETS).join(", ")}`);
  }
  const output = `${outDir}/${binaryName(target)}`;
  const args = [
    "compile",
    "--quiet",
    "--no-check",
    "--config",
    `${ROOT}deno.json`,
    ...PERMISSIONS,
    "--target",
    target,
    "--output",
    output,
    `${ROOT}main.ts`,
  ];
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    const offline = /dns error|lookup address|connect|download/i.test(stderr);
    throw new Error(
      `deno compile failed for ${target}${
        offline
          ? ": it could not download the denort runtime. Build on a machine with internet access, or set DENORT_BIN to a denort binary for this target (offline, host target only: --host)."
          : ""
      }\n${stderr.split("\n").slice(0, 6).join("\n")}`,
    );
  }
  return output;
}

/** Hex SHA-256 of a file. */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      host: { type: "boolean", default: false },
      target: { type: "string", multiple: true },
      "out-dir": { type: "string", default: `${ROOT}dist` },
    },
  });
  let targets = values.target ?? Object.keys(TARGETS);
  if (values.host) {
    const host = hostTarget();
    if (!host) {
      console.error(`no supported target for this host (${Deno.build.target})`);
      return 1;
    }
    targets = [host];
  }
  const outDir = values["out-dir"];
  await Deno.mkdir(outDir, { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    try {
      const out = await compileTarget(target, outDir);
      sums.push(`${await sha256File(out)}  ${binaryName(target)}`);
      console.error(`built ${out} (register-runner ${VERSION}, ${target})`);
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return 1;
    }
  }
  await Deno.writeTextFile(`${outDir}/SHA256SUMS`, sums.join("\n") + "\n");
  console.error(`wrote ${outDir}/SHA256SUMS`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
