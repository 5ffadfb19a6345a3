import assert from "node:assert/strict";
import { join } from "node:path";
import { excerpt, parseToml, readTomlDoc, redactLine, TomlDoc } from "./toml_file.ts";
import { inputErrorOf } from "../../tests/support/input_errors.ts";
import { tempDir } from "../../tests/support/temp.ts";

Deno.test("parseToml: a syntax error names file, line and column, with an excerpt", async () => {
  const text = 'a = 1\nb = "two"\nc = [1, 2\nd = 4\n';
  const error = await inputErrorOf(() => parseToml(text, "/p/x.toml", "Fix it."));
  const [first, ...rest] = error.message.split("\n");
  assert.match(first!, /^Invalid TOML in \/p\/x\.toml at line \d+, column \d+: \S/);
  assert.doesNotMatch(first!, /Invalid TOML document/);
  assert.ok(rest.some((l) => /^\d \| c = \[1, 2$/.test(l)), error.message);
  assert.ok(rest.some((l) => /^ {2}\| +\^$/.test(l)), error.message);
  assert.equal(error.where?.file, "/p/x.toml");
  assert.equal(typeof error.where?.line, "number");
  assert.equal(error.hint, "Fix it.");
});

Deno.test("parseToml: duplicate keys and lossy integers are syntax errors", async () => {
  const dup = await inputErrorOf(() => parseToml("a = 1\na = 2\n", "f", "h"));
  assert.match(dup.message, /^Invalid TOML in f at line 2, column 1: .*redefine/);
  const big = await inputErrorOf(() => parseToml("a = 99999999999999999999\n", "f", "h"));
  assert.match(big.message, /losslessly/);
  const unsafe = await inputErrorOf(() => parseToml("__proto__ = 1\n", "f", "h"));
  assert.match(unsafe.message, /unsafe/);
});

Deno.test("parseToml: tables come back as ordinary objects; a byte-order mark is fine", () => {
  const data = parseToml("\uFEFF[t]\nx = [{ y = 1 }]\n", "f", "h");
  assert.equal(Object.getPrototypeOf(data.t), Object.prototype);
  assert.deepEqual(data, { t: { x: [{ y: 1 }] } });
});

Deno.test("excerpt: redacts secret values and replaces control characters", () => {
  const text = [
    'personal_access_token = "glpat-fake-0000"',
    'x = { registration_token = "GRfake", url = "u" }',
    "token = 'glrt-fake' # c",
    "token_expires_at = 0001-01-01T00:00:00Z",
    "bad = \u0001\u0007",
  ].join("\n");
  const out = excerpt(text, 2, 1) + "\n" + excerpt(text, 4, 1);
  assert.doesNotMatch(out, /glpat-fake|GRfake|glrt-fake/);
  assert.match(out, /personal_access_token = "\[redacted\]"/);
  assert.match(out, /registration_token = "\[redacted\]", url = "u"/);
  assert.match(out, /token_expires_at = 0001-01-01T00:00:00Z/);
  assert.match(out, /bad = \?\?/);
  assert.equal(redactLine('sentry_dsn = "https://k@s.example/1"'), 'sentry_dsn = "[redacted]"');
});

Deno.test("excerpt: long lines are cut around the column", () => {
  const line = "x".repeat(1000) + "!" + "y".repeat(1000);
  const out = excerpt(line, 1, 1001).split("\n");
  assert.ok(out[0]!.length < 200);
  assert.equal(out[1]!.indexOf("^") - 4, out[0]!.indexOf("!") - 4);
});

Deno.test("readTomlDoc: unreadable, non-UTF-8, huge and non-regular files are InputErrors", async () => {
  const dir = await tempDir();
  const missing = await inputErrorOf(() => readTomlDoc(join(dir, "none.toml"), "h"));
  assert.match(missing.message, /none\.toml: does not exist/);
  await Deno.writeFile(join(dir, "bin.toml"), new Uint8Array([0x61, 0x20, 0x3d, 0x20, 0xff, 0xfe]));
  assert.match(
    (await inputErrorOf(() => readTomlDoc(join(dir, "bin.toml"), "h"))).message,
    /not valid UTF-8/,
  );
  const big = await Deno.open(join(dir, "big.toml"), { create: true, write: true });
  await big.truncate(9 * 1024 * 1024);
  big.close();
  assert.match(
    (await inputErrorOf(() => readTomlDoc(join(dir, "big.toml"), "h"))).message,
    /bytes, more than/,
  );
  assert.match((await inputErrorOf(() => readTomlDoc(dir, "h"))).message, /is not a regular file/);
});

Deno.test("TomlDoc: errors and warnings name file, key and line", () => {
  const doc = new TomlDoc("/p/f.toml", "a = 1\n[t]\nb = 2\n", { a: 1, t: { b: 2 } });
  assert.deepEqual(doc.at(["t", "b"]), { file: "/p/f.toml", key: "t.b", line: 3 });
  assert.deepEqual(doc.at([]), { file: "/p/f.toml" });
  assert.equal(
    doc.error(["t", "b"], "is wrong", "fix").message,
    "/p/f.toml: key `t.b` (line 3): is wrong",
  );
  assert.equal(doc.warning(["c"], "odd"), "/p/f.toml: key `c`: odd");
});
