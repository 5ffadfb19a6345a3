/**
 * `--metrics-file`, end to end through the CLI against the fake GitLab: the node_exporter
 * textfile after a success and after a failure (the last success survives it), its mode, that it
 * holds no secret, that a symlink planted at its path is replaced and never followed, and that
 * `promtool check metrics` accepts it (Debian's `prometheus` package; .ci/run installs it).
 */

import { equal, match, notEqual, ok } from "node:assert/strict";
import { METRIC } from "../src/commands/metrics.ts";
import { runCli } from "./support/cli.ts";
import { assertNoSecrets, expectOk, secretsOf, withSetup, writeSite } from "./support/e2e.ts";

const NAMES = ["shell", "cpu", "gpu"];

function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

async function promtool(text: string): Promise<{ ok: boolean; output: string } | undefined> {
  let child;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch {
    return undefined;
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const d = new TextDecoder();
  return { ok: out.success, output: d.decode(out.stdout) + d.decode(out.stderr) };
}

const HAS_PROMTOOL = (await promtool("")) !== undefined;

Deno.test("metrics after a sync: times, counts, reachability, token expiry; 0644, no secret", async () => {
  await withSetup({ tokenExpiresInSeconds: 7200 }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    const dir = await Deno.makeTempDir();
    const path = `${dir}/register-runner.prom`;
    const before = Date.now() / 1000;
    const result = await runCli(prefix, ["--metrics-file", path]);
    expectOk(result, gitlab);
    const text = await Deno.readTextFile(path);
    equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    assertNoSecrets(text, secretsOf(gitlab));
    equal(sample(text, METRIC.exitCode), 0);
    const success = sample(text, METRIC.lastSuccess)!;
    ok(success >= before && success <= Date.now() / 1000 + 1, `${success}`);
    equal(sample(text, METRIC.lastRun), success);
    ok(sample(text, METRIC.duration)! > 0);
    equal(sample(text, METRIC.runners, 'action="registered"'), NAMES.length);
    equal(sample(text, METRIC.runners, 'action="deleted"'), 0);
    equal(sample(text, METRIC.gitlabUp), 1);
    const expiries = text.split("\n").filter((l) => l.startsWith(`${METRIC.tokenExpiry}{`));
    equal(expiries.length, NAMES.length);
    for (const line of expiries) {
      const at = Number(line.split(" ").at(-1));
      ok(Math.abs(at - (before + 7200)) < 120, line);
    }
    match(text, /service_instance="main"/);
    // Only the .prom file is left: no temp file, and none named *.prom.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    equal(names.join(","), "register-runner.prom");
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("a failed sync writes its exit code and keeps the time of the last success", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    const path = `${dir}/rr.prom`;
    expectOk(await runCli(prefix, ["--metrics-file", path]), gitlab);
    const first = await Deno.readTextFile(path);
    const success = sample(first, METRIC.lastSuccess)!;
    await new Promise((r) => setTimeout(r, 20));
    await prefix.writeFile("config.template.main.toml", "this is [not toml\n");
    const failed = await runCli(prefix, ["--metrics-file", path]);
    equal(failed.code, 3, failed.stderr);
    const second = await Deno.readTextFile(path);
    equal(sample(second, METRIC.exitCode), 3);
    equal(sample(second, METRIC.lastSuccess), success);
    ok(sample(second, METRIC.lastRun)! > sample(first, METRIC.lastRun)!);
    // Token expiry still comes from the config gitlab-runner uses; no per-GitLab claims.
    equal(sample(second, METRIC.gitlabUp), undefined);
    // And a second failure still remembers it.
    equal(
      sample(
        (await runCli(prefix, ["--metrics-file", path]), await Deno.readTextFile(path)),
        METRIC.lastSuccess,
      ),
      success,
    );
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("a symlink planted at the metrics path is replaced, its target never written or read", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    const victim = `${dir}/victim`;
    // A planted "previous file": its last-success line must not be believed either.
    const planted = `${METRIC.lastSuccess}{service_instance="main"} 12345\n`;
    await Deno.writeTextFile(victim, planted);
    await Deno.symlink(victim, `${dir}/rr.prom`);
    const result = await runCli(prefix, ["--metrics-file", `${dir}/rr.prom`]);
    expectOk(result, gitlab);
    equal(await Deno.readTextFile(victim), planted);
    const info = await Deno.lstat(`${dir}/rr.prom`);
    ok(info.isFile && !info.isSymlink);
    await prefix.writeFile("config.template.main.toml", "[broken\n");
    await Deno.remove(`${dir}/rr.prom`);
    await Deno.symlink(victim, `${dir}/rr.prom`);
    equal((await runCli(prefix, ["--metrics-file", `${dir}/rr.prom`])).code, 3);
    const text = await Deno.readTextFile(`${dir}/rr.prom`);
    equal(sample(text, METRIC.lastSuccess), undefined, "the planted file's value was read");
    equal(await Deno.readTextFile(victim), planted);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("an unwritable metrics path is reported without changing the exit code", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const result = await runCli(prefix, ["--metrics-file", `${prefix.dir}/no/such/dir/rr.prom`]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /could not write the metrics file/);
  });
});

Deno.test({
  name: "promtool check metrics accepts the file, after a success and after a failure",
  ignore: !HAS_PROMTOOL,
  fn: async () => {
    await withSetup({ tokenExpiresInSeconds: 7200 }, async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, NAMES);
      const dir = await Deno.makeTempDir();
      const path = `${dir}/rr.prom`;
      expectOk(await runCli(prefix, ["--metrics-file", path]), gitlab);
      const good = await promtool(await Deno.readTextFile(path));
      ok(good!.ok, good!.output);
      equal(good!.output.trim(), "", "no lint findings");
      await prefix.writeFile("config.template.main.toml", "[broken\n");
      notEqual((await runCli(prefix, ["--metrics-file", path])).code, 0);
      const bad = await promtool(await Deno.readTextFile(path));
      ok(bad!.ok, bad!.output);
      equal(bad!.output.trim(), "");
      await Deno.remove(dir, { recursive: true });
    });
  },
});
