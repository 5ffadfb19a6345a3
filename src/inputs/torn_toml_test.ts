import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { isTornToml } from "./torn_toml.ts";

/** The shape register-runner and gitlab-runner write (with a multi-byte character in a value). */
const CONFIG = `# Written by register-runner 0.1.0 from config.template.main.toml and main/*.toml.
concurrent = 4
check_interval = 0

[[runners]]
  name = "node7 main docker Runner"
  url = "https://gitlab.example.com"
  id = 12
  token = "glrt-fake-0000-0000"
  token_obtained_at = 2025-12-07T05:27:35Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "docker"
  environment = ["LANG=C.UTF-8", "GREETING=grüß dich"]
  [runners.docker]
    image = "alpine:3"
    privileged = false
    volumes = ["/cache", "/srv:/srv:ro"]
    tmpfs = { "/tmp" = "rw,exec" }
  [runners.cache]
    MaxUploadedArchiveSize = 0

[[runners]]
  name = "node7 main shell Runner"
  url = "https://gitlab.example.com"
  id = 13
  token = "glrt-fake-0000-0001"
  executor = "shell"
`;

const bytes = new TextEncoder().encode(CONFIG);

function parses(b: Uint8Array): boolean {
  try {
    parse(new TextDecoder("utf-8", { fatal: true }).decode(b));
    return true;
  } catch {
    return false;
  }
}

Deno.test("isTornToml: every cut of a real config that does not parse is torn", () => {
  assert.ok(parses(bytes));
  let failing = 0;
  for (let cut = 0; cut < bytes.length; cut++) {
    const torn = bytes.subarray(0, cut);
    if (parses(torn)) {
      assert.equal(isTornToml(torn), false, `cut at ${cut} parses: not torn`);
      continue;
    }
    failing++;
    assert.equal(
      isTornToml(torn),
      true,
      `cut at ${cut}: …${new TextDecoder().decode(torn.slice(-20))}`,
    );
  }
  assert.ok(failing > bytes.length / 2, `most cuts fail to parse (${failing})`);
});

Deno.test("isTornToml: a cut padded with NUL bytes (a crash after the size grew) is torn", () => {
  for (const cut of [0, 40, 200, bytes.length]) {
    const padded = new Uint8Array(cut + 4096);
    padded.set(bytes.subarray(0, cut));
    assert.equal(isTornToml(padded), true, `cut at ${cut} + NULs`);
  }
});

Deno.test("isTornToml: a syntax error on a complete line is not torn, wherever it is", () => {
  const lines = CONFIG.split("\n");
  const at = (start: string) => lines.findIndex((l) => l.startsWith(start));
  for (
    const [i, broken] of [
      [at("concurrent"), "concurrent = 4x"],
      [at("  url"), '  url = "https://gitlab'],
      [at("  [runners.docker]"), "  [runners.docker"],
      [at('  executor = "shell"'), "  executor = shell"],
    ] as const
  ) {
    assert.ok(i >= 0 && i < lines.length - 1);
    const text = [...lines.slice(0, i), broken, ...lines.slice(i + 1)].join("\n");
    const b = new TextEncoder().encode(text);
    assert.ok(!parses(b), `line ${i + 1} is broken`);
    assert.equal(isTornToml(b), false, `error on line ${i + 1}`);
    // Cut short after the error: still an error on a complete line, not a cut.
    const after = new TextEncoder().encode(lines.slice(0, i + 1).join("\n")).length + 1 + 5;
    if (after < b.length) {
      assert.equal(isTornToml(b.subarray(0, after)), false, `line ${i + 1}, file cut later`);
    }
  }
  // NULs in the middle are not a crash's padding.
  const nul = new TextEncoder().encode(CONFIG.replace("concurrent = 4", "concurrent = \0"));
  assert.equal(isTornToml(nul), false);
});

Deno.test("isTornToml: an error on a last line without a line break cannot be told from a cut", () => {
  const b = new TextEncoder().encode(CONFIG + "  locked = maybe");
  assert.ok(!parses(b));
  assert.equal(isTornToml(b), true);
  assert.equal(isTornToml(new TextEncoder().encode(CONFIG + "  locked = maybe\n")), false);
});

Deno.test("isTornToml: a file that parses is not torn", () => {
  assert.equal(isTornToml(bytes), false);
  assert.equal(isTornToml(new Uint8Array()), false);
});
