/**
 * A torn config is recoverable: config.toml cut short (gitlab-runner killed while rewriting it in
 * place) is kept aside, byte for byte and private, and every runner is restored in place from
 * GitLab; a syntax error anywhere else, or no personal access token, still fails with exit 3 and
 * the config untouched.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import { runCli } from "./support/cli.ts";
import {
  assertConverged,
  descriptionsOf,
  expectOk,
  ownRunners,
  withSetup,
  writeExecutor,
  writeSite,
} from "./support/e2e.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import type { Prefix } from "./support/prefix.ts";

const NAMES = ["shell", "cpu"];

function parses(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Byte offsets that cut a synced config mid-value, mid-header, mid-key and mid-date. */
function cutPoints(text: string): number[] {
  const second = text.indexOf("[[runners]]", text.indexOf("[[runners]]") + 1);
  const points = [
    text.indexOf('token = "') + 'token = "'.length + 6, // inside a token string
    second + 5, // inside the second [[runners]] header
    text.indexOf("executor =") + "executor =".length, // after `=`, before the value
    text.indexOf("token_obtained_at = ") + "token_obtained_at = ".length + 7, // inside a date
    text.indexOf("[runners.docker]") + 4, // inside a sub-table header
    text.length - 3, // near the end
  ];
  for (const p of points) ok(p > 0 && !parses(text.slice(0, p)), `cut at ${p} does not parse`);
  return points;
}

async function tornCopies(prefix: Prefix): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(prefix.dir)) {
    if (e.name.startsWith("config.main.toml.torn-")) found.push(`${prefix.dir}/${e.name}`);
  }
  return found.sort();
}

async function synced(gitlab: FakeGitLab, prefix: Prefix): Promise<string> {
  await writeSite(gitlab, prefix, NAMES);
  expectOk(await runCli(prefix), gitlab);
  return (await prefix.readOutput())!;
}

Deno.test("torn config with a personal access token: kept aside (0600, byte-identical), runners restored in place, exit 0", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const full = await synced(gitlab, prefix);
    const ids = ownRunners(gitlab).map((r) => r.id).sort();
    for (const cut of cutPoints(full)) {
      const torn = new TextEncoder().encode(full).slice(0, cut);
      await Deno.writeFile(prefix.outputFile, torn); // in place, as gitlab-runner writes
      const seen = gitlab.requests.length;
      const result = await runCli(prefix);
      expectOk(result, gitlab);
      const warned = result.stderr.match(/warn: .*was cut short.*kept it as (\S+) \(0600\)/);
      ok(warned, `cut at ${cut}: a warning names the copy; stderr:\n${result.stderr}`);
      const saved = warned[1]!;
      ok((await tornCopies(prefix)).includes(saved), "the copy is in the prefix");
      equal((await Deno.stat(saved)).mode! & 0o777, 0o600, "the copy is private");
      deepEqual(await Deno.readFile(saved), torn, "the copy is byte-identical");
      deepEqual(ownRunners(gitlab).map((r) => r.id).sort(), ids, "same runners, same ids");
      ok(
        gitlab.requests.slice(seen).some((r) => r.path.endsWith("/reset_authentication_token")),
        "tokens restored by reset",
      );
      equal(
        gitlab.requests.slice(seen).filter((r) => r.method === "POST" && r.path === "/user/runners")
          .length,
        0,
        "nothing registered",
      );
      await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
      await Deno.remove(saved);
    }
  });
});

Deno.test("torn config padded with NUL bytes (a crash after the size grew) is recovered too", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const full = new TextEncoder().encode(await synced(gitlab, prefix));
    const padded = new Uint8Array(full.length);
    padded.set(full.subarray(0, Math.floor(full.length / 2)));
    await Deno.writeFile(prefix.outputFile, padded);
    const result = await runCli(prefix);
    expectOk(result, gitlab);
    match(result.stderr, /was cut short/);
    await assertConverged(gitlab, prefix, descriptionsOf(NAMES));
  });
});

Deno.test("a syntax error in the middle of config.toml is still exit 3, config untouched, GitLab untouched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const full = await synced(gitlab, prefix);
    // The first runner's section: complete lines follow it.
    const broken = full.replace(/^ {2}executor = "docker"$/m, "  executor = docker");
    ok(broken !== full && !parses(broken));
    // Also cut short after the error: the error stays on a complete line.
    for (const text of [broken, broken.slice(0, broken.length - 5), broken.slice(0, -1)]) {
      await Deno.writeTextFile(prefix.outputFile, text);
      const seen = gitlab.requests.length;
      const result = await runCli(prefix);
      equal(result.code, 3, result.stderr);
      match(result.stderr, /Invalid TOML in .*config\.main\.toml at line \d+/);
      equal(await prefix.readOutput(), text, "config untouched");
      equal(gitlab.mutations().filter((m) => gitlab.requests.indexOf(m) >= seen).length, 0);
      deepEqual(await tornCopies(prefix), [], "no copy kept");
    }
  });
});

Deno.test("torn config without a personal access token: exit 3 as before, saying a token would recover it", async () => {
  await withSetup({ allowRegistrationToken: true }, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      registration_token: gitlab.tokens.registrationToken,
    }]);
    for (const name of NAMES) await writeExecutor(gitlab, prefix, name);
    expectOk(await runCli(prefix), gitlab);
    const full = (await prefix.readOutput())!;
    const torn = full.slice(0, cutPoints(full)[0]);
    await Deno.writeTextFile(prefix.outputFile, torn);
    const seen = gitlab.requests.length;
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /looks cut short/);
    match(result.stderr, /With a personal access token for http:\/\/127\.0\.0\.1:\d+/);
    equal(await prefix.readOutput(), torn, "config untouched");
    equal(gitlab.mutations().filter((m) => gitlab.requests.indexOf(m) >= seen).length, 0);
    deepEqual(await tornCopies(prefix), [], "no copy kept");
  });
});
