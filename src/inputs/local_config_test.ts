import assert from "node:assert/strict";
import { join } from "node:path";
import { loadLocalConfig } from "./local_config.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { tempDir } from "../../tests/support/temp.ts";

/** Writes `text` to a temporary config.main.toml and returns its path. */
async function write(text: string): Promise<string> {
  const path = join(await tempDir(), "config.main.toml");
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  return path;
}

const WRITTEN_BY_GITLAB_RUNNER = `concurrent = 1
check_interval = 0
shutdown_timeout = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "host-shell"
  url = "https://gitlab.example.com/"
  id = 9
  token = "glrt-fake-0000"
  token_obtained_at = 2025-12-07T05:27:35Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "shell"
  [runners.custom_build_dir]
  [runners.cache]
    MaxUploadedArchiveSize = 0

[[runners]]
  name = "host-docker"
  url = "https://gitlab.example.com/"
  id = 0
  token = ""
  token_obtained_at = 2025-12-07T07:27:35.123+02:00
  token_expires_at = 2026-03-07T05:27:35Z
  executor = "docker"
`;

Deno.test("loadLocalConfig: an absent file is undefined", async () => {
  assert.equal(await loadLocalConfig(join(await tempDir(), "none.toml")), undefined);
});

Deno.test("loadLocalConfig: reads gitlab-runner's own output exactly", async () => {
  const path = await write(WRITTEN_BY_GITLAB_RUNNER);
  const config = await loadLocalConfig(path);
  assert.equal(config?.text, WRITTEN_BY_GITLAB_RUNNER);
  const [one, two] = config!.runners;
  assert.equal(one?.token?.token.reveal(), "glrt-fake-0000");
  // gitlab-runner's zero time is "unknown": undefined.
  assert.deepEqual({ ...one?.token, token: undefined }, {
    token: undefined,
    obtainedAt: "2025-12-07T05:27:35Z",
    expiresAt: undefined,
  });
  assert.deepEqual({ ...one, token: undefined }, {
    index: 0,
    name: "host-shell",
    url: "https://gitlab.example.com/",
    id: 9,
    token: undefined,
  });
  // Times without a token are checked but not kept: nothing uses them.
  assert.deepEqual(two, {
    index: 1,
    name: "host-docker",
    url: "https://gitlab.example.com/",
  });
});

Deno.test("loadLocalConfig: the Python tool's description stands in for name", async () => {
  const config = await loadLocalConfig(
    await write('[[runners]]\ndescription = "host main shell Runner"\nurl = "https://g.example"\n'),
  );
  assert.deepEqual(config?.runners, [{
    index: 0,
    name: "host main shell Runner",
    url: "https://g.example",
  }]);
  assert.deepEqual((await loadLocalConfig(await write("concurrent = 1\n")))?.runners, []);
});

Deno.test("loadLocalConfig: a syntax error says where and to move the file aside, without the token", async () => {
  const path = await write('[[runners]]\n  token = "glrt-fake-0000"\n  executor = shell\n');
  const error = await inputErrorOf(() => loadLocalConfig(path));
  assert.match(error.message, new RegExp(`^Invalid TOML in ${path} at line 3, column \\d+: `));
  assert.match(
    error.hint ?? "",
    /move it aside \(mv .*config\.main\.toml .*config\.main\.toml\.broken\)/,
  );
  assert.match(error.hint ?? "", /recovers the runners' tokens/);
  assert.doesNotMatch(shown(error), /glrt-fake/);
});

Deno.test("loadLocalConfig: wrong types are InputErrors at the key", async () => {
  const cases: [string, RegExp][] = [
    ['runners = "x"\n', /key `runners` \(line 1\): must be an array of tables/],
    ["runners = [1]\n", /key `runners\[0\]` \(line 1\): must be a table/],
    [
      '[[runners]]\nid = "9"\n',
      /key `runners\[0\]\.id` \(line 2\): must be a non-negative integer, not a string/,
    ],
    [
      "[[runners]]\ntoken = 5\n",
      /key `runners\[0\]\.token` \(line 2\): must be a string, not an integer/,
    ],
    [
      "[[runners]]\n[[runners]]\nname = true\n",
      /key `runners\[1\]\.name` \(line 3\): must be a string/,
    ],
    [
      '[[runners]]\ntoken_expires_at = "soon"\n',
      /`runners\[0\]\.token_expires_at` \(line 2\): must be a date-time/,
    ],
    ["[[runners]]\ntoken_obtained_at = 2025-01-01\n", /must be a date-time .*, not a date\/time/],
  ];
  for (const [text, expected] of cases) {
    assert.match(
      (await inputErrorOf(async () => loadLocalConfig(await write(text)))).message,
      expected,
    );
  }
});
