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

Deno.test("a missing metrics directory is a warning, not an error; the exit code is kept", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const result = await runCli(prefix, ["--metrics-file", `${prefix.dir}/no/such/dir/rr.prom`]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^warn: the metrics directory .*\/no\/such\/dir does not exist/m);
    equal(/^error:/m.test(result.stderr), false, result.stderr);
    // journald: priority 4 (warning), so `journalctl -p err` stays quiet.
    const journald = await runCli(
      prefix,
      ["--metrics-file", `${prefix.dir}/no/such/dir/rr.prom`],
      { JOURNAL_STREAM: "8:1" },
    );
    match(journald.stderr, /^<4>warn: the metrics directory/m);
    equal(/^<3>/m.test(journald.stderr), false, journald.stderr);
  });
});

Deno.test("an unwritable metrics directory is an error; the exit code is kept", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/file`, "");
    // A path through a regular file: ENOTDIR, neither missing nor writable.
    const result = await runCli(prefix, ["--metrics-file", `${dir}/file/rr.prom`]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /error: could not write the metrics file/);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("a device, FIFO, socket or directory at the metrics path is refused, never replaced", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    const sh = (cmd: string) => new Deno.Command("sh", { args: ["-c", cmd] }).output();
    const targets: [string, string, (i: Deno.FileInfo) => boolean | null][] = [
      ["fifo", "a FIFO", (i) => i.isFifo],
      ["dir", "a directory", (i) => i.isDirectory],
    ];
    await sh(`mkfifo '${dir}/fifo'`);
    await Deno.mkdir(`${dir}/dir`);
    // /dev/null's twin (character device 1:3), where root can make one.
    if ((await sh(`mknod '${dir}/null' c 1 3`)).success) {
      targets.push(["null", "a character device", (i) => i.isCharDevice]);
    }
    // A socket file (bound, then left behind), where python3 is there to bind one.
    const bind = `import socket; socket.socket(socket.AF_UNIX).bind('${dir}/sock')`;
    if ((await sh(`python3 -c "${bind}"`)).success) {
      targets.push(["sock", "a socket", (i) => i.isSocket]);
    }
    try {
      for (const [name, what, still] of targets) {
        const result = await runCli(prefix, ["--metrics-file", `${dir}/${name}`]);
        equal(result.code, 0, `${name}: ${result.stderr}`);
        match(result.stderr, new RegExp(`error: could not write the metrics file .*${what}`));
        ok(still(await Deno.lstat(`${dir}/${name}`)), `${name} was replaced`);
      }
      // A run that fails keeps its exit code too.
      await prefix.writeFile("config.template.main.toml", "[broken\n");
      const failed = await runCli(prefix, ["--metrics-file", `${dir}/fifo`]);
      equal(failed.code, 3);
      ok((await Deno.lstat(`${dir}/fifo`)).isFifo);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a symlinked directory above the metrics file is followed (like --prefix)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    expectOk(await runCli(prefix, ["--metrics-file", `${dir}/link/rr.prom`]), gitlab);
    ok((await Deno.lstat(`${dir}/real/rr.prom`)).isFile);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("a degraded run (GitLab unreachable, last good config kept) is no success; gitlab_up 0", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    const dir = await Deno.makeTempDir();
    const path = `${dir}/rr.prom`;
    expectOk(await runCli(prefix, ["--metrics-file", path]), gitlab);
    const first = await Deno.readTextFile(path);
    const success = sample(first, METRIC.lastSuccess)!;
    await new Promise((r) => setTimeout(r, 20));
    await gitlab.close();
    const degraded = await runCli(prefix, ["--metrics-file", path, "--timeout", "2"]);
    equal(degraded.code, 0, degraded.stderr);
    const text = await Deno.readTextFile(path);
    equal(sample(text, METRIC.exitCode), 0);
    equal(sample(text, METRIC.lastSuccess), success, "a degraded run counted as a success");
    ok(sample(text, METRIC.lastRun)! > success);
    equal(sample(text, METRIC.gitlabUp), 0);
    equal(sample(text, METRIC.runners, 'action="kept_unreachable"'), 1);
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("exit 5 (unreachable, no previous config) still writes gitlab_up 0 per GitLab", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    await gitlab.close();
    const dir = await Deno.makeTempDir();
    const path = `${dir}/rr.prom`;
    const result = await runCli(prefix, ["--metrics-file", path, "--timeout", "2"]);
    equal(result.code, 5, result.stderr);
    const text = await Deno.readTextFile(path);
    equal(sample(text, METRIC.exitCode), 5);
    equal(sample(text, METRIC.lastSuccess), undefined);
    const up = text.split("\n").filter((l) => l.startsWith(`${METRIC.gitlabUp}{`));
    equal(up.length, 1, text);
    match(up[0]!, new RegExp(`gitlab="${gitlab.url.replace(/\/$/, "")}".* 0$`));
    await Deno.remove(dir, { recursive: true });
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
