/**
 * Fuzz-style tests with a fixed seed: mutated templates, executor files and configs must load or
 * fail with an InputError (never another exception), and no message may show a token.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../kernel/errors.ts";
import { indexKeyLines } from "./key_lines.ts";
import { loadLocalConfig } from "./local_config.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { seededRandom } from "../../tests/support/fixtures.ts";
import { FAKE_PAT, Prefix } from "../../tests/support/prefix.ts";
import { tempDir } from "../../tests/support/temp.ts";

const TEMPLATE = `concurrent = 4
check_interval = 3
log_level = "info"
client_configs = [
  { url = "https://b.example", registration_token_file = "reg" },
  { url = "https://gitlab.example.com", personal_access_token = "${FAKE_PAT}" },
]

[session_server]
  session_timeout = 1800
`;

const EXECUTOR = `url = "https://gitlab.example.com"
executor = "docker"
env_tags = ["SYS_TYPE"]
tags = ["gpu", "big"]
run_untagged = false
maximum_timeout = 3600
limit = 2
environment = ["A=1"]

[docker]
image = "alpine"
volumes = ["/cache"]

[custom]
run_exec = "/bin/true"
`;

const CONFIG = `concurrent = 1

[[runners]]
  name = "host main docker Runner"
  url = "https://gitlab.example.com/"
  id = 9
  token = "glrt-fake-0000"
  token_obtained_at = 2025-12-07T05:27:35Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "docker"
  [runners.docker]
    image = "alpine"
`;

const VALUES = [
  "1",
  "-5",
  "0",
  "1.5",
  "nan",
  "-inf",
  "true",
  '"s"',
  '""',
  '"{personal_access_token}"',
  "[]",
  '[1, "a"]',
  "{}",
  "{ a = { b = 1 } }",
  "1979-05-27",
  "1979-05-27T07:32:00",
  "07:32:00",
  "0001-01-01T00:00:00Z",
  "99999999999999999999",
  `"${"x".repeat(100_000)}"`,
  `${"[".repeat(200)}${"]".repeat(200)}`,
  '"https://u:p@h/?q#f"',
  '"glrt-fake-0000 "',
  "'''multi\nline'''",
];

const HEADERS = [
  "[x]",
  "[[client_configs]]",
  "[[runners]]",
  "[docker]",
  "[runners.docker]",
  "[[tags]]",
  "[a.b.c]",
];

type Rand = () => number;

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

const encoder = new TextEncoder();

/** Applies 1–3 random mutations; returns bytes (some mutations break UTF-8). */
function mutate(text: string, rand: Rand): Uint8Array {
  let out = text;
  let garbage: Uint8Array | undefined;
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const lines = out.split("\n");
    const at = Math.floor(rand() * lines.length);
    switch (Math.floor(rand() * 8)) {
      case 0: // truncate
        out = out.slice(0, Math.floor(rand() * out.length));
        break;
      case 1: // delete a line
        lines.splice(at, 1);
        out = lines.join("\n");
        break;
      case 2: // duplicate a line (duplicate keys and tables)
        lines.splice(at, 0, lines[at] ?? "");
        out = lines.join("\n");
        break;
      case 3: { // replace a value
        const line = lines[at] ?? "";
        const eq = line.indexOf("=");
        lines[at] = eq < 0
          ? `${line} = ${pick(rand, VALUES)}`
          : `${line.slice(0, eq + 1)} ${pick(rand, VALUES)}`;
        out = lines.join("\n");
        break;
      }
      case 4: // insert a header
        lines.splice(at, 0, pick(rand, HEADERS));
        out = lines.join("\n");
        break;
      case 5: { // typo in a key
        const line = lines[at] ?? "";
        const p = Math.floor(rand() * Math.max(1, line.indexOf("=")));
        lines[at] = line.slice(0, p) + line.slice(p + 1);
        out = lines.join("\n");
        break;
      }
      case 6: { // swap two lines
        const other = Math.floor(rand() * lines.length);
        [lines[at], lines[other]] = [lines[other] ?? "", lines[at] ?? ""];
        out = lines.join("\n");
        break;
      }
      default: { // binary garbage
        const bytes = encoder.encode(out);
        const junk = Uint8Array.from(
          { length: 1 + Math.floor(rand() * 16) },
          () => Math.floor(rand() * 256),
        );
        const p = Math.floor(rand() * bytes.length);
        garbage = new Uint8Array([...bytes.slice(0, p), ...junk, ...bytes.slice(p)]);
        out = new TextDecoder().decode(garbage);
      }
    }
  }
  return garbage ?? encoder.encode(out);
}

/** Runs `fn`: success or an InputError whose text shows no token; anything else fails the test. */
async function outcome(
  fn: () => Promise<unknown>,
  input: Uint8Array,
): Promise<"ok" | "input-error"> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (!(error instanceof InputError)) {
      const text = new TextDecoder().decode(input);
      throw new Error(`not an InputError for input:\n${text.slice(0, 2000)}`, { cause: error });
    }
    const shown = `${error.message}\n${error.hint ?? ""}`;
    assert.ok(error.message.length > 0);
    assert.doesNotMatch(shown, /glpat-fake-0000|glrt-fake-0000|GR-fake-reg/, shown);
    assert.ok(error.where?.line === undefined || error.where.line >= 1);
    return "input-error";
  }
}

/** Rounds per fuzz test; set LOAD_FUZZ_ROUNDS for a longer run. */
const ROUNDS = Number(Deno.env.get("LOAD_FUZZ_ROUNDS") ?? "200");

Deno.test("fuzz: mutated templates load or fail with an InputError", async () => {
  const rand = seededRandom(0x5eed_0001);
  const prefix = (await Prefix.create({
    template: TEMPLATE,
    executors: { "docker.toml": EXECUTOR },
    files: { reg: "GR-fake-reg\n" },
  })).dir;
  await loadSite({ prefix, instance: "main", env: testEnv() });
  const file = join(prefix, "config.template.main.toml");
  const seen = { ok: 0, "input-error": 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const bytes = mutate(TEMPLATE, rand);
    await Deno.writeFile(file, bytes, { mode: 0o600 });
    seen[await outcome(() => loadSite({ prefix, instance: "main", env: testEnv() }), bytes)]++;
  }
  assert.ok(seen.ok > 0 && seen["input-error"] > 0, JSON.stringify(seen));
});

Deno.test("fuzz: mutated executor files load or fail with an InputError", async () => {
  const rand = seededRandom(0x5eed_0002);
  const prefix = (await Prefix.create({
    template: TEMPLATE,
    executors: { "docker.toml": EXECUTOR },
    files: { reg: "GR-fake-reg\n" },
  })).dir;
  await loadSite({ prefix, instance: "main", env: testEnv() });
  const file = join(prefix, "main", "docker.toml");
  const seen = { ok: 0, "input-error": 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const bytes = mutate(EXECUTOR, rand);
    await Deno.writeFile(file, bytes, { mode: 0o600 });
    seen[await outcome(() => loadSite({ prefix, instance: "main", env: testEnv() }), bytes)]++;
  }
  assert.ok(seen.ok > 0 && seen["input-error"] > 0, JSON.stringify(seen));
});

Deno.test("fuzz: mutated config.toml files load or fail with an InputError", async () => {
  const rand = seededRandom(0x5eed_0003);
  const file = join(await tempDir(), "config.main.toml");
  await Deno.writeTextFile(file, CONFIG);
  assert.equal((await loadLocalConfig(file))?.runners.length, 1);
  const seen = { ok: 0, "input-error": 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const bytes = mutate(CONFIG, rand);
    await Deno.writeFile(file, bytes, { mode: 0o600 });
    seen[await outcome(() => loadLocalConfig(file), bytes)]++;
  }
  assert.ok(seen.ok > 0 && seen["input-error"] > 0, JSON.stringify(seen));
});

Deno.test("fuzz: whole files of random bytes or huge values are InputErrors", async () => {
  const rand = seededRandom(0x5eed_0004);
  const prefix =
    (await Prefix.create({ template: TEMPLATE, executors: { "docker.toml": EXECUTOR } })).dir;
  const file = join(prefix, "main", "docker.toml");
  const inputs: Uint8Array[] = [
    Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256)),
    encoder.encode(`url = "${"h".repeat(1_000_000)}"\nexecutor = "shell"\n`),
    encoder.encode(`tags = [${Array.from({ length: 50_000 }, (_, i) => `"t${i}"`).join(",")}]\n`),
    encoder.encode(`x = ${"[".repeat(100_000)}`),
    encoder.encode(`${"[a]\n".repeat(2)}`),
    new Uint8Array([0xef, 0xbb, 0xbf, 0x00, 0x00]),
  ];
  for (const bytes of inputs) {
    await Deno.writeFile(file, bytes, { mode: 0o600 });
    assert.equal(
      await outcome(() => loadSite({ prefix, instance: "main", env: testEnv() }), bytes),
      "input-error",
    );
  }
});

Deno.test("fuzz: the key-line scanner never throws", () => {
  const rand = seededRandom(0x5eed_0005);
  const alphabet = " \n\t[]{}=.,\"'#abc123-_\\";
  for (let i = 0; i < 500; i++) {
    const text = Array.from({ length: Math.floor(rand() * 300) }, () => pick(rand, [...alphabet]))
      .join("");
    assert.ok(indexKeyLines(text) instanceof Map);
  }
});
