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
 * Each host-target binary is run once (`--version`) and refused, deleted and left out of
 * `SHA256SUMS`, unless it answers `register-runner VERSION`: a `DENORT_BIN` that is not a `denort`
 * (e.g. the `deno` binary itself) yields a working-looking file that is only Deno. A binary for
 * another architecture cannot be run here, so with `DENORT_BIN` only the host target is built.
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
 * `--allow-sys` beyond the host name and uid (for the owner check), no `--allow-all`.
 */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=hostname,uid",
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
  if (target === hostTarget()) {
    try {
      await verifyBinary(output);
    } catch (error) {
      await Deno.remove(output).catch(() => {});
      throw error;
    }
  }
  return output;
}

/**
 * Runs `binary --version` and throws unless it answers `register-runner VERSION`, e.g. when
 * `DENORT_BIN` pointed at the `deno` binary, whose output runs as plain Deno.
 */
export async function verifyBinary(binary: string): Promise<void> {
  let said: string;
  try {
    const out = await new Deno.Command(binary, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    said = new TextDecoder().decode(out.stdout).trim();
  } catch (error) {
    said = `(could not run it: ${error instanceof Error ? error.message : String(error)})`;
  }
  const expected = `register-runner ${VERSION}`;
  if (said !== expected) {
    throw new Error(
      `${binary} answered --version with "${said.split("\n")[0]?.slice(0, 200)}", not ` +
        `"${expected}"${
          Deno.env.get("DENORT_BIN")
            ? `: DENORT_BIN=${Deno.env.get("DENORT_BIN")} is not a denort runtime (the deno ` +
              "binary itself yields a plain Deno). Point DENORT_BIN at denort, e.g. from " +
              "~/.cache/deno/dl/ of a machine that built online, or unset it to download it."
            : ""
        }`,
    );
  }
}

/** Hex SHA-256 of a file. */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `deno task compile --help`. */
export const USAGE = `usage: deno task compile [--host] [--target TRIPLE]... [--out-dir DIR]

Builds self-contained register-runner binaries with deno compile, then writes SHA256SUMS.

  --host            build only this machine's target
  --target TRIPLE   build this target (repeatable): ${Object.keys(TARGETS).join(", ")}
  --out-dir DIR     where to write the binaries (default: dist/ in the repository)
  -h, --help        show this help

deno compile downloads Deno's denort runtime for each target. Offline, set DENORT_BIN to a denort
for this machine's target and pass --host. Each host-target binary must answer --version as
"register-runner ${VERSION}", or it is deleted and the build fails.`;

/** The command line: the targets and the output directory, usage text, or a usage error. */
export function parseCompileArgs(
  args: string[],
): { targets: string[]; outDir: string } | { help: true } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        host: { type: "boolean", default: false },
        target: { type: "string", multiple: true },
        "out-dir": { type: "string", default: `${ROOT}dist` },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: message.split("\n")[0]!.replace(/\. To specify a positional.*$/, "") };
  }
  if (values.help) return { help: true };
  let targets = values.target ?? Object.keys(TARGETS);
  if (values.host) {
    const host = hostTarget();
    if (!host) return { error: `no supported target for this host (${Deno.build.target})` };
    targets = [host];
  }
  const unknown = targets.find((t) => !(t in TARGETS));
  if (unknown !== undefined) {
    return {
      error: `unsupported target ${unknown}; supported: ${Object.keys(TARGETS).join(", ")}`,
    };
  }
  const foreign = targets.find((t) => t !== hostTarget());
  if (Deno.env.get("DENORT_BIN") && foreign !== undefined) {
    return {
      error: `DENORT_BIN is set, but ${foreign} is not this machine's target: a binary for ` +
        "another architecture cannot be checked here. Pass --host, or unset DENORT_BIN.",
    };
  }
  return { targets, outDir: values["out-dir"] };
}

async function main(): Promise<number> {
  const parsed = parseCompileArgs(Deno.args);
  if ("help" in parsed) {
    console.log(USAGE);
    return 0;
  }
  if ("error" in parsed) {
    console.error(`error: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { targets, outDir } = parsed;
  await Deno.mkdir(outDir, { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    try {
      const out = await compileTarget(target, outDir);
      sums.push(`${await sha256File(out)}  ${binaryName(target)}`);
      const checked = target === hostTarget()
        ? "answers --version"
        : "not run: another architecture";
      console.error(`built ${out} (register-runner ${VERSION}, ${target}, ${checked})`);
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
