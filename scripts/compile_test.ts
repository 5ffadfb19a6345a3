import { deepEqual, doesNotMatch, equal, match } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hostTarget, parseCompileArgs, TARGETS } from "./compile.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** `deno task compile ARGS` as an operator runs it. */
async function compileTask(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "compile", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("compile --help prints usage and exits 0; a bad option is a usage error, no stack trace", async () => {
  const help = await compileTask(["--help"]);
  equal(help.code, 0, help.stderr);
  match(help.stdout, /^usage: deno task compile \[--host\]/);
  match(help.stdout, /DENORT_BIN/);
  doesNotMatch(help.stdout + help.stderr, / {4}at |TypeError|Stack/);
  const bad = await compileTask(["--hots"]);
  equal(bad.code, 2);
  match(bad.stderr, /^error: Unknown option '--hots'/);
  match(bad.stderr, /usage: deno task compile/);
  doesNotMatch(bad.stderr, / {4}at /);
});

Deno.test("compile arguments: targets, --host, and DENORT_BIN only for this machine's target", () => {
  const host = hostTarget();
  deepEqual(parseCompileArgs(["--out-dir", "/o"]), {
    targets: Object.keys(TARGETS),
    outDir: "/o",
  });
  deepEqual(parseCompileArgs(["-h"]), { help: true });
  match((parseCompileArgs(["--target", "mips"]) as { error: string }).error, /unsupported target/);
  if (host !== undefined) {
    deepEqual(parseCompileArgs(["--host", "--out-dir", "/o"]), { targets: [host], outDir: "/o" });
  }
});

Deno.test({
  name: "compile refuses a binary that is not register-runner (DENORT_BIN = the deno binary)",
  ignore: hostTarget() === undefined,
  async fn() {
    const outDir = await Deno.makeTempDir({ prefix: "register-runner-compile-" });
    try {
      const result = await compileTask(["--host", "--out-dir", outDir], {
        DENORT_BIN: Deno.execPath(),
      });
      equal(result.code, 1, result.stderr);
      match(result.stderr, /answered --version with "deno \d/);
      match(result.stderr, /not "register-runner \d+\.\d+\.\d+"/);
      match(result.stderr, /DENORT_BIN=.* is not a denort runtime/);
      const left = [...Deno.readDirSync(outDir)].map((e) => e.name);
      deepEqual(left, [], "neither the binary nor SHA256SUMS is left behind");
      const foreign = Object.keys(TARGETS).find((t) => t !== hostTarget())!;
      const cross = await compileTask(["--target", foreign, "--out-dir", outDir], {
        DENORT_BIN: Deno.execPath(),
      });
      equal(cross.code, 2);
      match(cross.stderr, /DENORT_BIN is set, but .* is not this machine's target/);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
