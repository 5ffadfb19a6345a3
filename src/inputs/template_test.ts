import assert from "node:assert/strict";
import { join } from "node:path";
import { InputErrors } from "./problems.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { FAKE_PAT, Prefix } from "../../tests/support/prefix.ts";
import { tempDir } from "../../tests/support/temp.ts";

const CLIENT =
  '[[client_configs]]\nurl = "https://gitlab.example.com"\npersonal_access_token_file = "pat"\n';

/** Loads a prefix with this template (and a `pat` file), no executors. */
async function load(template: string, files: Record<string, string> = {}, vars = {}) {
  const prefix =
    (await Prefix.create({ template, executors: {}, files: { pat: FAKE_PAT, ...files } })).dir;
  return { prefix, ...(await loadSite({ prefix, instance: "main", env: testEnv({ vars }) })) };
}

/** The messages of the problems loading this template gives. */
async function problems(template: string, files: Record<string, string> = {}): Promise<string[]> {
  const prefix =
    (await Prefix.create({ template, executors: {}, files: { pat: FAKE_PAT, ...files } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  return error instanceof InputErrors ? error.problems.map(shown) : [shown(error)];
}

Deno.test("template: known globals pass through", async () => {
  const { site, warnings } = await load(
    'concurrent = 4\nlog_level = "info"\nlisten_address = ":9252"\n[session_server]\nsession_timeout = 1800\n' +
      CLIENT,
  );
  assert.deepEqual(site.globals, {
    concurrent: 4,
    log_level: "info",
    listen_address: ":9252",
    session_server: { session_timeout: 1800 },
  });
  assert.deepEqual(warnings, []);
});

Deno.test("template: keys gitlab-runner's schema lacks are errors with a suggestion", async () => {
  const found = await problems(
    "concurent = 4\n[session_sever]\nsession_timeout = 1800\n[session_server]\nsesion_timeout = 1\n" +
      "[[client_config]]\nurl = 1\n",
  );
  assert.equal(found.length, 4, found.join("\n"));
  // `[[client_config]]` is reported as the misspelling, not as "has no `client_configs`".
  assert.match(found[3]!, /key `client_config` \(line 6\).*Did you mean `client_configs`\?/);
  assert.match(
    found[0]!,
    /key `concurent` \(line 1\): unknown key: gitlab-runner v[\d.]+ has no `concurent`\. Did you mean `concurrent`\?/,
  );
  assert.match(
    found[1]!,
    /key `session_sever` \(line 2\): unknown key.*Did you mean `session_server`\?/,
  );
  assert.match(
    found[2]!,
    /key `session_server\.sesion_timeout` \(line 5\).*Did you mean `session_timeout`\?/,
  );
});

Deno.test("template: allow_unknown_keys lets newer keys through and is itself checked", async () => {
  const { site, warnings } = await load(
    'allow_unknown_keys = ["new_global", "runners.docker.new_key", "concurrent"]\nnew_global = 1\n' +
      CLIENT,
  );
  assert.deepEqual(site.globals, { new_global: 1 });
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /allow_unknown_keys\[2\]` \(line 1\): "concurrent" is a key gitlab-runner/,
  );
  const found = await problems('allow_unknown_keys = ["ok", "not a key", 3]\n' + CLIENT);
  assert.equal(found.length, 2, found.join("\n"));
  assert.match(found[0]!, /allow_unknown_keys\[1\]`.*"not a key" is not a dotted key/);
  assert.match(found[1]!, /allow_unknown_keys\[2\]`.*must be a string, not an integer/);
});

Deno.test("template: concurrent = 0, wrong types and [[runners]] are errors with lines", async () => {
  const found = await problems(
    'concurrent = 0\ncheck_interval = "3"\nlog_format = "xml"\n[[runners]]\nname = "x"\n' + CLIENT,
  );
  assert.equal(found.length, 4);
  assert.match(found[0]!, /key `concurrent` \(line 1\): is 0; gitlab-runner refuses/);
  assert.match(found[1]!, /key `check_interval` \(line 2\): must be an integer, not a string/);
  assert.match(
    found[2]!,
    /key `log_format` \(line 3\): must be one of "runner", "text", "json", not "xml"/,
  );
  assert.match(found[3]!, /key `runners` \(line 4\): runners must not be defined in the template/);
});

Deno.test("template: client_configs is required, non-empty, and made of tables", async () => {
  assert.match((await problems("concurrent = 1\n"))[0]!, /has no `client_configs`/);
  assert.match(
    (await problems("client_configs = []\n"))[0]!,
    /`client_configs` \(line 1\): is empty/,
  );
  assert.match((await problems('client_configs = "x"\n'))[0]!, /must be an array of tables/);
  assert.match(
    (await problems("client_configs = [1]\n"))[0]!,
    /`client_configs\[0\]` \(line 1\): must be a table/,
  );
});

Deno.test("template: inline and [[client_configs]] forms load the same clients", async () => {
  const inline = await load(
    'client_configs = [{ url = "https://gitlab.example.com", personal_access_token_file = "pat" }]\n',
  );
  const tables = await load(CLIENT);
  assert.deepEqual(
    inline.site.clients.map((c) => [c.url, c.key, c.personalAccessToken?.reveal()]),
    tables.site.clients.map((c) => [c.url, c.key, c.personalAccessToken?.reveal()]),
  );
});

Deno.test("template: credentials: inline, _file relative or absolute, systemd credentials", async () => {
  const inline = await load(
    `[[client_configs]]\nurl = "https://a.example"\npersonal_access_token = " ${FAKE_PAT} "\n`,
  );
  assert.equal(inline.site.clients[0]?.personalAccessToken?.reveal(), FAKE_PAT);

  const secretDir = await tempDir();
  await Deno.writeTextFile(join(secretDir, "reg"), "  GR1348941fake-0000\n\n", { mode: 0o600 });
  const both = await load(
    `[[client_configs]]\nurl = "https://a.example"\npersonal_access_token_file = "sub/pat"\n` +
      `registration_token_file = "${join(secretDir, "reg")}"\n`,
    { "sub/pat": `${FAKE_PAT}\n` },
  );
  assert.equal(both.site.clients[0]?.personalAccessToken?.reveal(), FAKE_PAT);
  assert.equal(both.site.clients[0]?.registrationToken?.reveal(), "GR1348941fake-0000");

  const credentials = await tempDir();
  await Deno.writeTextFile(join(credentials, "gitlab-pat"), "glpat-fake-credential", {
    mode: 0o600,
  });
  const systemd = await load(
    '[[client_configs]]\nurl = "https://a.example"\npersonal_access_token_file = "gitlab-pat"\n' +
      '[[client_configs]]\nurl = "https://b.example"\npersonal_access_token_file = "pat"\n',
    {},
    { CREDENTIALS_DIRECTORY: credentials },
  );
  assert.equal(systemd.site.clients[0]?.personalAccessToken?.reveal(), "glpat-fake-credential");
  assert.equal(systemd.site.clients[1]?.personalAccessToken?.reveal(), FAKE_PAT);
});

Deno.test("template: credential mistakes are errors at the right key", async () => {
  const found = await problems(
    [
      "[[client_configs]]",
      'url = "https://a.example"',
      `personal_access_token = "${FAKE_PAT}"`,
      'personal_access_token_file = "pat"',
      "[[client_configs]]",
      'url = "https://b.example"',
      "[[client_configs]]",
      'url = "https://c.example"',
      'registration_token_file = "missing"',
      "[[client_configs]]",
      'url = "https://d.example"',
      'personal_access_token_file = "empty"',
      "[[client_configs]]",
      'url = "https://e.example"',
      'personal_access_token = "two words"',
      "[[client_configs]]",
      'url = "https://f.example"',
      "personal_access_token_file = 7",
    ].join("\n"),
    { empty: "\n \n" },
  );
  assert.equal(found.length, 6, found.join("\n---\n"));
  assert.match(
    found[0]!,
    /`client_configs\[0\]\.personal_access_token_file` \(line 4\): is set together with `personal_access_token`/,
  );
  assert.match(found[1]!, /`client_configs\[1\]` \(line 5\): has no credential/);
  assert.match(
    found[2]!,
    /`client_configs\[2\]\.registration_token_file` \(line 9\): points at .*\/missing, which does not exist/,
  );
  assert.match(
    found[3]!,
    /`client_configs\[3\]\.personal_access_token_file` \(line 12\): .*\/empty: the secret in this file is empty/,
  );
  assert.match(
    found[4]!,
    /`client_configs\[4\]\.personal_access_token` \(line 15\): value contains whitespace/,
  );
  assert.match(
    found[5]!,
    /`client_configs\[5\]\.personal_access_token_file` \(line 18\): must be a string, not an integer/,
  );
  assert.doesNotMatch(found.join("\n"), /glpat-fake|two words/);
});

Deno.test("template: unknown client keys are errors with a suggestion", async () => {
  const found = await problems(CLIENT + 'registraton_token = "x"\nadmin_token = "y"\n');
  assert.match(
    found[0]!,
    /`client_configs\[0\]\.registraton_token` \(line 4\): unknown key.*Did you mean `registration_token`\?/,
  );
  assert.match(
    found[1]!,
    /`client_configs\[0\]\.admin_token` \(line 5\): unknown key.*Did you mean `registration_token`\?/,
  );
});

Deno.test("template: URLs are checked and duplicates found after normalising", async () => {
  const found = await problems(
    CLIENT +
      '[[client_configs]]\nurl = "HTTPS://GitLab.Example.com/"\npersonal_access_token_file = "pat"\n' +
      '[[client_configs]]\nurl = "https://x.example/?a=b"\npersonal_access_token_file = "pat"\n' +
      '[[client_configs]]\npersonal_access_token_file = "pat"\n',
  );
  assert.equal(found.length, 3, found.join("\n"));
  assert.match(
    found[0]!,
    /`client_configs\[1\]\.url` \(line 5\): is the same GitLab as client_configs\[0\]\.url/,
  );
  assert.match(found[1]!, /`client_configs\[2\]\.url` \(line 8\): must not contain a query/);
  assert.match(found[2]!, /`client_configs\[3\]\.url` \(line 10\): is missing/);
});

Deno.test("template: ca_file must be an existing PEM bundle, relative to the prefix", async () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----\n";
  const { prefix, site } = await load(CLIENT + 'ca_file = "certs/ca.pem"\n', {
    "certs/ca.pem": pem,
  });
  assert.equal(site.clients[0]?.caFile, join(prefix, "certs/ca.pem"));
  const found = await problems(
    CLIENT + 'ca_file = "nope.pem"\n[[client_configs]]\nurl = "https://b.example"\n' +
      'personal_access_token_file = "pat"\nca_file = "pat"\n',
  );
  assert.match(found[0]!, /`client_configs\[0\]\.ca_file` \(line 4\): .*nope\.pem: does not exist/);
  assert.match(found[1]!, /`client_configs\[1\]\.ca_file` \(line 8\): .* holds no PEM certificate/);
});

Deno.test("template: a client with only a registration token loads with a warning", async () => {
  const { site, warnings } = await load(
    '[[client_configs]]\nurl = "https://a.example"\nregistration_token = "GR1348941fake"\n',
  );
  assert.equal(site.clients[0]?.personalAccessToken, undefined);
  assert.match(warnings[0]!, /`client_configs\[0\]` \(line 1\): has no personal_access_token/);
});

Deno.test("log_level: every level logrus parses, in any letter case; log_format exactly", async () => {
  // gitlab-runner v19.3.0 log/configuration.go: logrus.ParseLevel lowercases the value first;
  // the formats map is looked up as is.
  for (const level of ["trace", "INFO", "Warning", "warn", "debug", "error", "fatal", "panic"]) {
    const { site } = await load(`log_level = "${level}"\n` + CLIENT);
    assert.equal(site.globals.log_level, level);
  }
  const [bad] = await problems('log_level = "verbose"\n' + CLIENT);
  assert.match(
    bad!,
    /key `log_level` \(line 1\): must be one of "panic", .*"trace" \(in any letter case\), not "verbose"/,
  );
  for (const format of ["runner", "text", "json"]) {
    assert.equal(
      (await load(`log_format = "${format}"\n` + CLIENT)).site.globals.log_format,
      format,
    );
  }
  assert.match((await problems('log_format = "JSON"\n' + CLIENT))[0]!, /log_format/);
});
