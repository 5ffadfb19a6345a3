import { deepStrictEqual as assertEquals, match, ok, rejects, throws } from "node:assert/strict";
import { InputError } from "../../kernel/errors.ts";
import { type CaptureInput, resolveCaptureProgram, runCapture } from "./capture.ts";
import { tempDir } from "../../../tests/support/temp.ts";

const INPUT: CaptureInput = {
  hostname: "node7",
  instance: "main",
  executor_type: "batch",
  executor_file: "batch",
  env: ["toss_4"],
  env_tags: { SYS_TYPE: "toss_4" },
  properties: { hostname: "node7" },
};

/** Writes an executable sh script and returns its path. */
async function script(body: string, mode = 0o755): Promise<string> {
  const dir = await tempDir("capture");
  const file = `${dir}/capture`;
  await Deno.writeTextFile(file, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(file, mode);
  return file;
}

async function failure(body: string, timeoutMs?: number): Promise<InputError> {
  const program = await script(body);
  let caught: unknown;
  await rejects(
    runCapture({ program, input: INPUT, ...(timeoutMs ? { timeoutMs } : {}) }),
    (error) => {
      caught = error;
      return true;
    },
  );
  ok(caught instanceof InputError, String(caught));
  match(caught.message, new RegExp(`^capture program ${program} \\(executor file batch\\) `));
  return caught;
}

Deno.test("capture: the program reads the input on stdin; its JSON object is the result", async () => {
  const program = await script(
    `input=$(cat)\nprintf '{"seen": %s, "gpu": "nvidia"}' "$input"`,
  );
  const result = await runCapture({ program, input: INPUT });
  assertEquals(result, { seen: INPUT, gpu: "nvidia" });
});

Deno.test("capture: a non-zero exit shows the status and the end of stderr", async () => {
  const error = await failure(
    `for i in $(seq 1 500); do echo "noise $i" >&2; done\necho "no GPU driver" >&2\nexit 3`,
  );
  match(error.message, /exited with status 3; the end of its stderr:\n[\s\S]*no GPU driver$/);
  ok(!error.message.includes("noise 480\n"), "only the last lines of stderr are kept");
  ok(error.message.includes("noise 500\n"));
  match((await failure("exit 1")).message, /exited with status 1 \(no stderr\)$/);
});

Deno.test("capture: invalid JSON, non-objects and oversized output are refused", async () => {
  match((await failure("echo 'gpu: nvidia'")).message, /printed invalid JSON: "gpu: nvidia"$/);
  match((await failure("true")).message, /printed invalid JSON: \(nothing\)$/);
  match((await failure("echo '[\"a\"]'")).message, /printed an array, not a JSON object/);
  match((await failure("echo null")).message, /printed null, not a JSON object/);
  match((await failure("echo '\"x\"'")).message, /printed a string, not a JSON object/);
  match(
    (await failure("head -c 1100000 /dev/zero | tr '\\0' 'x'")).message,
    /printed more than 1048576 bytes/,
  );
});

Deno.test("capture: a program that does not finish in time is killed", async () => {
  const started = Date.now();
  const error = await failure("exec sleep 30", 300);
  match(error.message, /did not finish within 0\.3 s and was killed/);
  ok(Date.now() - started < 5000);
  // A child that keeps stdout open after its parent is killed does not hang the run either.
  const orphan = await failure("sleep 30 &\nsleep 30", 300);
  match(orphan.message, /did not finish/);
});

Deno.test("capture: the program must exist, be executable and not group/other-writable", async () => {
  const program = await script("echo '{}'");
  assertEquals(resolveCaptureProgram(program, undefined), program);
  const dir = program.slice(0, program.lastIndexOf("/"));
  assertEquals(resolveCaptureProgram("capture", `/nonexistent:${dir}`), program);
  throws(() => resolveCaptureProgram("capture", "/nonexistent"), /was not found on \$PATH/);
  throws(
    () => resolveCaptureProgram(`${dir}/missing`, undefined),
    /does not exist or is not executable/,
  );
  const notExecutable = await script("echo '{}'", 0o644);
  throws(() => resolveCaptureProgram(notExecutable, undefined), /is not executable/);
  const writable = await script("echo '{}'", 0o775);
  throws(() => resolveCaptureProgram(writable, undefined), (error: unknown) => {
    ok(error instanceof InputError);
    match(error.message, /is writable by group or others/);
    match(error.hint ?? "", /chmod go-w/);
    return true;
  });
});
