import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import { parse, TomlDate } from "smol-toml";
import { Secret } from "../kernel/secret.ts";
import { encodeToml, encodeTomlInline, encodeTomlKey, encodeTomlString } from "./toml_encode.ts";
import { normalize, seededRandom } from "../../tests/support/fixtures.ts";

function roundTrip(doc: Record<string, unknown>): void {
  const text = encodeToml(doc);
  let parsed: unknown;
  try {
    parsed = parse(text, { integersAsBigInt: "asNeeded" });
  } catch (error) {
    throw new Error(`smol-toml rejected the encoding:\n${text}`, { cause: error });
  }
  deepStrictEqual(normalize(parsed), normalize(doc), text);
}

Deno.test("golden: gitlab-runner layout", () => {
  const doc = {
    concurrent: 4,
    check_interval: 0,
    session_server: { session_timeout: 1800 },
    runners: [
      {
        name: "host-shell",
        url: "https://gitlab.example.com/",
        id: 9,
        token: "glrt-fake-0001",
        token_obtained_at: new Date("2025-12-07T05:27:35Z"),
        token_expires_at: new Date("0001-01-01T00:00:00Z"),
        executor: "shell",
        environment: ["A=1", "B=two"],
        custom_build_dir: {},
        cache: { MaxUploadedArchiveSize: 0, s3: {}, gcs: {}, azure: {} },
      },
      { name: "second", executor: "docker", docker: { image: "alpine:3", privileged: false } },
    ],
  };
  equal(
    encodeToml(doc),
    `concurrent = 4
check_interval = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "host-shell"
  url = "https://gitlab.example.com/"
  id = 9
  token = "glrt-fake-0001"
  token_obtained_at = 2025-12-07T05:27:35Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "shell"
  environment = ["A=1", "B=two"]
  [runners.custom_build_dir]
  [runners.cache]
    MaxUploadedArchiveSize = 0
    [runners.cache.s3]
    [runners.cache.gcs]
    [runners.cache.azure]

[[runners]]
  name = "second"
  executor = "docker"
  [runners.docker]
    image = "alpine:3"
    privileged = false
`,
  );
});

Deno.test("golden: inline values come before tables, tables before arrays of tables", () => {
  const doc = {
    list: [{ a: 1 }],
    table: { x: 1 },
    scalar: "s",
    nested: { deep: [{ k: "v", sub: { z: true } }], after: 2 },
  };
  equal(
    encodeToml(doc),
    `scalar = "s"

[table]
  x = 1

[nested]
  after = 2

  [[nested.deep]]
    k = "v"
    [nested.deep.sub]
      z = true

[[list]]
  a = 1
`,
  );
});

Deno.test("golden: scalars", () => {
  const cases: [unknown, string][] = [
    ["plain", '"plain"'],
    ['q"b\\', '"q\\"b\\\\"'],
    ["\b\t\n\f\r", '"\\b\\t\\n\\f\\r"'],
    ["\u0000\u001f\u007f", '"\\u0000\\u001f\\u007f"'],
    ["é中😀\u2028", '"é中😀\u2028"'],
    [0, "0"],
    [-42, "-42"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [2 ** 53, "9007199254740992.0"],
    [1.5, "1.5"],
    [1e21, "1e+21"],
    [5e-324, "5e-324"],
    [-0, "-0.0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
    [9223372036854775807n, "9223372036854775807"],
    [-9223372036854775808n, "-9223372036854775808"],
    [true, "true"],
    [false, "false"],
    [new Date("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00Z"],
    [new Date("2025-12-07T05:27:35.120Z"), "2025-12-07T05:27:35.120Z"],
    [new Date("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z"],
    [new TomlDate("2024-02-29"), "2024-02-29"],
    [new TomlDate("07:32:00"), "07:32:00"],
    [new TomlDate("1979-05-27T07:32:00"), "1979-05-27T07:32:00"],
    [new TomlDate("1979-05-27T00:32:00.5-07:00"), "1979-05-27T00:32:00.500-07:00"],
    [[], "[]"],
    [[1, "a", [true]], '[1, "a", [true]]'],
    [[{ a: 1 }, 2], "[{ a = 1 }, 2]"],
    [[{}], "[{}]"],
  ];
  for (const [value, expected] of cases) equal(encodeTomlInline(value), expected);
});

Deno.test("keys: bare only when they are A-Za-z0-9_-", () => {
  equal(encodeTomlKey("tls-ca-file"), "tls-ca-file");
  equal(encodeTomlKey("MaxUploadedArchiveSize"), "MaxUploadedArchiveSize");
  equal(encodeTomlKey("1"), "1");
  equal(encodeTomlKey("a b"), '"a b"');
  equal(encodeTomlKey("a.b"), '"a.b"');
  equal(encodeTomlKey(""), '""');
  equal(encodeTomlKey("é"), '"é"');
  equal(encodeToml({ "a b": { "c.d": { e: 1 } } }), '["a b"]\n  ["a b"."c.d"]\n    e = 1\n');
});

Deno.test("empty document and undefined members", () => {
  equal(encodeToml({}), "");
  equal(encodeToml({ a: undefined, b: 1, t: { c: undefined } }), "b = 1\n\n[t]\n");
});

Deno.test("rejects what TOML cannot hold, without showing the value", () => {
  const secret = new Secret("glrt-fake-0001");
  throws(() => encodeToml({ token: secret }), (e: Error) => {
    match(e.message, /token: cannot encode a Secret instance/);
    return !e.message.includes("glrt-fake-0001");
  });
  throws(() => encodeToml({ a: null }), /a: cannot encode null/);
  throws(() => encodeToml({ a: [1, undefined] }), /a\.1: cannot encode undefined/);
  throws(() => encodeToml({ a: new Map() }), TypeError);
  throws(() => encodeToml({ a: () => 1 }), TypeError);
  throws(() => encodeToml({ a: 2n ** 63n }), RangeError);
  throws(() => encodeToml({ a: new Date(NaN) }), RangeError);
  throws(() => encodeToml({ a: new Date("+010000-01-01T00:00:00Z") }), RangeError);
  throws(() => encodeToml({ a: "\ud800" }), /surrogate/);
  throws(() => encodeToml([] as unknown as Record<string, unknown>), TypeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throws(() => encodeToml(cyclic), /cyclic/);
});

Deno.test("a string with every escape parses back", () => {
  let all = "";
  for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
  roundTrip({ all, 'key\u0001"\\': all + "é😀\ufeff" });
  equal(encodeTomlString("\u0001"), '"\\u0001"');
});

// ---- property tests: parse(encode(x)) deep-equals x ------------------------------------------

const CHARS = [
  ..."abcXYZ019 _-.=#[]{}'\"\\,",
  "\u0000",
  "\u0007",
  "\b",
  "\t",
  "\n",
  "\r",
  "\u001b",
  "\u007f",
  "é",
  "ß",
  "中",
  "😀",
  "\u2028",
  "\ufeff",
];

class Gen {
  readonly #rand: () => number;
  constructor(seed: number) {
    this.#rand = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.#rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  string(max = 12): string {
    let out = "";
    for (let i = this.int(max + 1); i > 0; i--) out += this.pick(CHARS);
    return out;
  }
  key(): string {
    const kind = this.int(4);
    if (kind === 0) return this.string(6);
    return this.pick(["a", "b", "name", "tls-ca-file", "x_y", "A-1", "42", "a b", "é"]) +
      (kind === 1 ? String(this.int(100)) : "");
  }
  scalar(): unknown {
    switch (this.int(9)) {
      case 0:
        return this.string();
      case 1:
        return this.int(2) === 0
          ? this.int(1000) - 500
          : Math.floor((this.#rand() - 0.5) * 2 ** 54);
      case 2:
        return this.pick([0.5, -0, 1e21, 5e-324, 1.7976931348623157e308, Infinity, -Infinity, NaN]);
      case 3:
        return (this.#rand() - 0.5) * 10 ** (this.int(40) - 20);
      case 4: {
        const magnitude = BigInt(2 ** 53) + BigInt(this.int(2 ** 30)) * BigInt(this.int(2 ** 30));
        return this.int(2) === 0 ? magnitude : -magnitude;
      }
      case 5:
        return this.int(2) === 0;
      case 6: {
        const min = Date.UTC(1, 0, 1) - Date.UTC(0, 0, 1) + Date.UTC(0, 0, 1);
        const ms = min + Math.floor(this.#rand() * (Date.UTC(9999, 11, 31) - min));
        return new Date(this.int(2) === 0 ? ms - (ms % 1000) : ms);
      }
      case 7:
        return this.pick([
          new TomlDate("2024-02-29"),
          new TomlDate("23:59:59.999"),
          new TomlDate("0001-01-01T00:00:00"),
        ]);
      default:
        return this.string(3);
    }
  }
  value(depth: number): unknown {
    const kind = depth <= 0 ? 0 : this.int(6);
    if (kind <= 1) return this.scalar();
    if (kind === 2) return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
    if (kind === 3) {
      return Array.from({ length: 1 + this.int(3) }, () => this.table(depth - 1));
    }
    return this.table(depth - 1);
  }
  table(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = this.int(5); i > 0; i--) out[this.key()] = this.value(depth);
    return out;
  }
}

Deno.test("property: parse(encode(x)) deep-equals x for 2000 generated documents", () => {
  const gen = new Gen(20251207);
  for (let i = 0; i < 2000; i++) roundTrip(gen.table(4));
});

Deno.test("property: encoding is deterministic", () => {
  const a = new Gen(7);
  const b = new Gen(7);
  for (let i = 0; i < 200; i++) equal(encodeToml(a.table(3)), encodeToml(b.table(3)));
});
