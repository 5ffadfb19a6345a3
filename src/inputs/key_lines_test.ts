import assert from "node:assert/strict";
import { findKeyLine, formatKeyPath, indexKeyLines } from "./key_lines.ts";

const GITLAB_RUNNER_CONFIG = `concurrent = 1
check_interval = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "one"
  url = "https://gitlab.example.com/"
  token = "glrt-fake-0000"
  executor = "shell"
  [runners.cache]
    MaxUploadedArchiveSize = 0
    [runners.cache.s3]

[[runners]]
  name = "two"
  [runners.docker]
    image = "alpine"
    volumes = [
      "/cache",
      "/var/run/docker.sock:/var/run/docker.sock",
    ]
`;

Deno.test("findKeyLine: tables, arrays of tables and their sub-tables", () => {
  const t = GITLAB_RUNNER_CONFIG;
  assert.equal(findKeyLine(t, ["concurrent"]), 1);
  assert.equal(findKeyLine(t, ["session_server"]), 4);
  assert.equal(findKeyLine(t, ["session_server", "session_timeout"]), 5);
  assert.equal(findKeyLine(t, ["runners", 0]), 7);
  assert.equal(findKeyLine(t, ["runners", 0, "url"]), 9);
  assert.equal(findKeyLine(t, ["runners", 0, "cache", "MaxUploadedArchiveSize"]), 13);
  assert.equal(findKeyLine(t, ["runners", 0, "cache", "s3"]), 14);
  assert.equal(findKeyLine(t, ["runners", 1]), 16);
  assert.equal(findKeyLine(t, ["runners", 1, "name"]), 17);
  assert.equal(findKeyLine(t, ["runners", 1, "docker", "image"]), 19);
  assert.equal(findKeyLine(t, ["runners", 1, "docker", "volumes", 1]), 22);
});

Deno.test("findKeyLine: a missing key points at its nearest present parent", () => {
  assert.equal(findKeyLine(GITLAB_RUNNER_CONFIG, ["runners", 1, "url"]), 16);
  assert.equal(findKeyLine(GITLAB_RUNNER_CONFIG, ["nothing", "here"]), undefined);
});

Deno.test("findKeyLine: the Python sample's inline array of inline tables", () => {
  const text = [
    "concurrent = 8",
    "client_configs = [",
    "  {",
    '    url = "https://a.example",',
    '    registration_token = "{registration_token}"',
    "  },",
    '  { url = "https://b.example", personal_access_token_file = "pat" }',
    "]",
  ].join("\n");
  assert.equal(findKeyLine(text, ["client_configs"]), 2);
  assert.equal(findKeyLine(text, ["client_configs", 0]), 3);
  assert.equal(findKeyLine(text, ["client_configs", 0, "url"]), 4);
  assert.equal(findKeyLine(text, ["client_configs", 0, "registration_token"]), 5);
  assert.equal(findKeyLine(text, ["client_configs", 1, "personal_access_token_file"]), 7);
  assert.equal(findKeyLine(text, ["client_configs", 1, "ca_file"]), 7);
});

Deno.test("findKeyLine: strings, comments, dotted and quoted keys do not confuse it", () => {
  const text = [
    "# [fake] = header",
    'script = """',
    "[not_a_table]",
    'key = "inside"',
    '"""',
    "literal = '''",
    "x = 1 '''",
    "a.b.c = 1 # comment = 2",
    '"quoted key".sub = "v"',
    "s = 'it''s'",
    "real = 2",
    "[t]",
    "dt = 1979-05-27 07:32:00Z",
    "after = true",
  ].join("\n");
  assert.equal(findKeyLine(text, ["not_a_table"]), undefined);
  assert.equal(findKeyLine(text, ["key"]), undefined);
  assert.equal(findKeyLine(text, ["x"]), undefined);
  assert.equal(findKeyLine(text, ["a", "b", "c"]), 8);
  assert.equal(findKeyLine(text, ["a"]), 8);
  assert.equal(findKeyLine(text, ["quoted key", "sub"]), 9);
  assert.equal(findKeyLine(text, ["real"]), 11);
  assert.equal(findKeyLine(text, ["t", "after"]), 14);
});

Deno.test("indexKeyLines: never throws on garbage", () => {
  for (
    const text of ["[[[", '"""', "a = [ { b = [ {", "\u0000\uFFFF]]]}}}", "= = =", "[a.]\n[.b]"]
  ) {
    assert.ok(indexKeyLines(text) instanceof Map);
  }
});

Deno.test("formatKeyPath: dotted keys, indexes and quoted keys", () => {
  assert.equal(formatKeyPath(["client_configs", 0, "url"]), "client_configs[0].url");
  assert.equal(formatKeyPath(["tls-ca-file"]), "tls-ca-file");
  assert.equal(formatKeyPath(["a b", "c"]), '"a b".c');
  assert.equal(formatKeyPath([]), "");
});
