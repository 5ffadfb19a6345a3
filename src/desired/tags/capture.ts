/**
 * `--capture-tags PROGRAM`: runs a site's program (no shell) with what it needs to know as JSON on
 * stdin, and takes the JSON object it prints as tag properties. Replaces the Python tool's
 * importable `capture_tags` module.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { InputError } from "../../kernel/errors.ts";
import { isExecutableFile } from "../facts/scheduler.ts";
import type { JsonValue, TagProperties } from "./properties.ts";

/** How long a capture program may run by default. */
export const CAPTURE_TIMEOUT_MS = 10_000;
/** The most a capture program may print on stdout. */
export const MAX_CAPTURE_OUTPUT = 1024 * 1024;
const STDERR_TAIL = 1000;
const STDERR_LINES = 20;

/** What a capture program reads on stdin (one JSON object). */
export interface CaptureInput {
  hostname: string;
  instance: string;
  executor_type: string;
  /** The executor file's stem (`batch` for `batch.toml`). */
  executor_file: string;
  /** Values of the executor's `env_tags` present in the environment. */
  env: string[];
  /** The same, by variable name. */
  env_tags: Record<string, string>;
  /** The tag properties so far (what the program's output updates). */
  properties: TagProperties;
}

/** A Python module name as the Python tool's `--capture-tags` took it (`capture_tags`). */
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The program to run, as an absolute path: a path containing `/` is resolved against the
 * working directory, a bare name is looked up on `path` (`$PATH`). Throws an InputError when it
 * is missing, not executable, or writable by group or others (register-runner usually runs as
 * root from systemd, so anyone who can change the program could run code as root).
 */
export function resolveCaptureProgram(program: string, path: string | undefined): string {
  let file: string | undefined;
  if (program.includes("/")) file = isAbsolute(program) ? program : resolve(program);
  else {
    file = (path ?? "").split(":").filter((d) => d !== "").map((d) => `${d}/${program}`)
      .find(isExecutableFile);
  }
  const hint = "Pass --capture-tags the path of an executable file (mode 0755 or 0700).";
  if (file === undefined) {
    // The Python tool took an importable module name (`capture_tags`); say what replaced it.
    const moduleName = PYTHON_MODULE.test(program);
    throw new InputError(
      `capture program ${program} was not found on $PATH` +
        (moduleName
          ? ": capture programs are now executables (JSON on stdin, JSON on stdout), " +
            "not Python modules"
          : ""),
      {
        hint: "Install an executable capture program, e.g. examples/capture/capture-tags.py from " +
          "register-runner's source (an example replacement for the Python tool's capture_tags; see " +
          "examples/capture/README.md), owned by root and not writable by group or others, " +
          "and pass its path: --capture-tags /usr/local/libexec/capture-tags.",
      },
    );
  }
  if (!isExecutableFile(file)) {
    throw new InputError(`capture program ${file} does not exist or is not executable`, {
      where: { file },
      hint,
    });
  }
  const mode = Deno.statSync(file).mode;
  if (mode !== null && (mode & 0o022) !== 0) {
    throw new InputError(`capture program ${file} is writable by group or others`, {
      where: { file },
      hint: `Run chmod go-w ${file}: register-runner runs it with its own privileges.`,
    });
  }
  return file;
}

/** Options of {@link runCapture}. */
export interface RunCaptureOptions {
  /** Absolute path of the program (see {@link resolveCaptureProgram}). */
  program: string;
  input: CaptureInput;
  /** Default {@link CAPTURE_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * Runs the capture program once: input on stdin, the JSON object it prints on stdout is the
 * result. Throws an InputError (never a stack trace) when it cannot be started, exits non-zero
 * (with the tail of its stderr), prints too much, prints something that is not a JSON object,
 * or does not finish in time (it is then killed).
 */
export async function runCapture(options: RunCaptureOptions): Promise<TagProperties> {
  const { program, input } = options;
  const timeoutMs = options.timeoutMs ?? CAPTURE_TIMEOUT_MS;
  const context = `capture program ${program} (executor file ${input.executor_file})`;
  const fail = (what: string, hint?: string) =>
    new InputError(`${context} ${what}`, {
      where: { file: program },
      hint: hint ??
        "The program reads a JSON object on stdin and must print one JSON object on stdout, " +
          "then exit 0; see examples/capture/.",
    });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw fail(`could not be started: ${error instanceof Error ? error.message : String(error)}`);
  }
  const stdout = collect(child.stdout, MAX_CAPTURE_OUTPUT);
  const stderr = collect(child.stderr, Number.POSITIVE_INFINITY, STDERR_TAIL);
  const writing = writeInput(child.stdin, input);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), timeoutMs);
  });
  try {
    const finished = await Promise.race([
      Promise.all([child.status, stdout.done, stderr.done, writing]),
      expired,
    ]);
    if (finished === "timeout") {
      kill(child);
      throw fail(`did not finish within ${timeoutMs / 1000} s and was killed`);
    }
    const [status] = finished;
    if (stdout.overflow) throw fail(`printed more than ${MAX_CAPTURE_OUTPUT} bytes`);
    if (!status.success) {
      const why = status.signal === null
        ? `exited with status ${status.code}`
        : `was killed by ${status.signal}`;
      const tail = stderr.text().trim().split("\n").slice(-STDERR_LINES).join("\n");
      throw fail(`${why}${tail === "" ? " (no stderr)" : `; the end of its stderr:\n${tail}`}`);
    }
    return parseOutput(stdout.text(), fail);
  } finally {
    clearTimeout(timer);
    stdout.cancel();
    stderr.cancel();
  }
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
}

async function writeInput(stdin: WritableStream<Uint8Array>, input: CaptureInput): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(`${JSON.stringify(input)}\n`));
    await writer.close();
  } catch {
    // The program may exit without reading its input; that is its choice.
  }
}

interface Collected {
  done: Promise<void>;
  overflow: boolean;
  text(): string;
  cancel(): void;
}

/** Reads a stream, keeping at most `limit` bytes (or the last `tail` bytes). */
function collect(stream: ReadableStream<Uint8Array>, limit: number, tail?: number): Collected {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const state: Collected = {
    done: Promise.resolve(),
    overflow: false,
    text: () => {
      const all = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      const kept = tail === undefined ? all : all.subarray(Math.max(0, size - tail));
      return new TextDecoder().decode(kept);
    },
    cancel: () => {
      reader.cancel().catch(() => {});
    },
  };
  state.done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        chunks.push(value);
        size += value.length;
        if (tail !== undefined) {
          while (size - (chunks[0]?.length ?? 0) >= tail) size -= chunks.shift()!.length;
        } else if (size > limit) {
          state.overflow = true;
          return;
        }
      }
    } catch {
      // Cancelled.
    }
  })();
  return state;
}

function parseOutput(
  text: string,
  fail: (what: string, hint?: string) => InputError,
): TagProperties {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const start = text.trim().slice(0, 200);
    throw fail(`printed invalid JSON: ${start === "" ? "(nothing)" : JSON.stringify(start)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw fail(`printed ${kind}, not a JSON object`);
  }
  return value as { [key: string]: JsonValue };
}
