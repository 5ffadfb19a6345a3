/**
 * The systemd units in examples/systemd (shipped in the packages): `systemd-analyze verify`
 * accepts each with no message at all, the sync unit is hardened (`systemd-analyze security`),
 * and the runner units reconcile without killing jobs: no sync in ExecStartPre (where a bad
 * token made systemd retry every 30 s forever), SIGQUIT and a stop timeout that lets jobs finish.
 *
 * verify runs in a scratch root (`--root`) holding the units, systemd's own targets and stub
 * executables at the units' paths (verify checks that each command exists).
 */

import { equal, match, ok } from "node:assert/strict";
import { ROOT } from "./support/cli.ts";

const UNITS = `${ROOT}examples/systemd`;
const read = (name: string) => Deno.readTextFileSync(`${UNITS}/${name}`);

async function has(program: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .output()).success;
}

const HAS_ANALYZE = await has("systemd-analyze");

async function analyze(args: string[], cwd?: string) {
  const out = await new Deno.Command("systemd-analyze", {
    args,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
    env: { SYSTEMD_COLORS: "0" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** A scratch root with systemd's targets, the units, a stock gitlab-runner.service and stubs. */
async function scratchRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "register-runner-units-" });
  const lib = `${root}/usr/lib/systemd/system`;
  await Deno.mkdir(lib, { recursive: true });
  await Deno.mkdir(`${root}/usr/bin`, { recursive: true });
  await Deno.mkdir(`${root}/etc/systemd/system/gitlab-runner.service.d`, { recursive: true });
  for (const entry of Deno.readDirSync("/usr/lib/systemd/system")) {
    if (/\.(target|slice)$/.test(entry.name) && entry.isFile) {
      await Deno.copyFile(`/usr/lib/systemd/system/${entry.name}`, `${lib}/${entry.name}`);
    }
  }
  for (
    const unit of ["register-runner@.service", "register-runner@.timer", "gitlab-runner@.service"]
  ) {
    await Deno.copyFile(`${UNITS}/${unit}`, `${lib}/${unit}`);
  }
  // As the gitlab-runner package installs it (the drop-in's target).
  await Deno.writeTextFile(
    `${lib}/gitlab-runner.service`,
    "[Unit]\nDescription=GitLab Runner\n[Service]\nExecStart=/usr/bin/gitlab-runner run\n" +
      "[Install]\nWantedBy=multi-user.target\n",
  );
  await Deno.copyFile(
    `${UNITS}/gitlab-runner.service.d/register-runner.conf`,
    `${root}/etc/systemd/system/gitlab-runner.service.d/register-runner.conf`,
  );
  for (const stub of ["register-runner", "gitlab-runner"]) {
    await Deno.writeTextFile(`${root}/usr/bin/${stub}`, "#!/bin/sh\n", { mode: 0o755 });
  }
  return root;
}

Deno.test({
  name: "systemd-analyze verify: every unit, with no warning",
  ignore: !HAS_ANALYZE,
  fn: async () => {
    const root = await scratchRoot();
    try {
      for (
        const unit of [
          "register-runner@main.service",
          "register-runner@main.timer",
          "gitlab-runner@main.service",
          "gitlab-runner.service",
        ]
      ) {
        const r = await analyze(["verify", "--man=no", `--root=${root}`, unit]);
        equal(r.code, 0, `${unit}: ${r.stderr}`);
        equal(r.stderr + r.stdout, "", `${unit} has findings`);
      }
      // The check can fail: a misspelt key is reported.
      const lib = `${root}/usr/lib/systemd/system`;
      await Deno.writeTextFile(
        `${lib}/register-runner@.service`,
        read("register-runner@.service").replace("ProtectSystem=", "ProtectSytem="),
      );
      const bad = await analyze([
        "verify",
        "--man=no",
        `--root=${root}`,
        "register-runner@x.service",
      ]);
      match(bad.stderr, /Unknown key/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "the sync unit is hardened: systemd-analyze security rates it below 3 (OK)",
  ignore: !HAS_ANALYZE,
  fn: async () => {
    const r = await analyze(["security", "--offline=yes", `${UNITS}/register-runner@.service`]);
    const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
    ok(level < 3, `exposure ${level}\n${r.stdout}`);
  },
});

Deno.test("units: sync by timer and dependency, never by ExecStartPre; jobs may finish", () => {
  const sync = read("register-runner@.service");
  for (
    const key of [
      "Type=oneshot",
      "ProtectSystem=strict",
      "ReadWritePaths=/etc/gitlab-runner",
      "PrivateTmp=yes",
      "NoNewPrivileges=yes",
    ]
  ) ok(sync.split("\n").includes(key), `register-runner@.service lacks ${key}`);
  match(sync, /^ExecStart=\/usr\/bin\/register-runner .*--service-instance %i .*--metrics-file /m);
  const timer = read("register-runner@.timer");
  match(timer, /^OnUnitInactiveSec=/m);
  match(timer, /^WantedBy=timers.target$/m);
  for (const name of ["gitlab-runner@.service", "gitlab-runner.service.d/register-runner.conf"]) {
    const unit = read(name);
    ok(
      !/^ExecStartPre=/m.test(unit),
      `${name}: a sync in ExecStartPre restarts forever on exit 3/4`,
    );
    // A failed sync (exit 3, 4, 5, 6) must not keep gitlab-runner down, and stopping the sync
    // unit must not stop gitlab-runner: Wants=, never Requires= (or BindsTo=, PartOf=, Requisite=).
    match(unit, /^Wants=.*register-runner@(%i|main)\.service/m, name);
    ok(
      !/^(Requires|BindsTo|PartOf|Requisite)=.*register-runner@/m.test(unit),
      `${name}: a failed sync would keep gitlab-runner down`,
    );
    match(unit, /^After=.*register-runner@(%i|main)\.service/m, name);
    match(unit, /^KillSignal=SIGQUIT$/m, name);
    // SIGQUIT to gitlab-runner only: job processes of shell/custom executors die of it.
    match(unit, /^KillMode=mixed$/m, name);
    const stop = /^TimeoutStopSec=(\d+)h$/m.exec(unit);
    ok(stop && Number(stop[1]) >= 1, `${name}: TimeoutStopSec must let jobs finish`);
  }
  match(read("gitlab-runner@.service"), /^StartLimitBurst=\d+$/m);
});

Deno.test("no shipped unit loads a credential: a missing source file fails the unit (243)", () => {
  for (
    const name of [
      "register-runner@.service",
      "register-runner@.timer",
      "gitlab-runner@.service",
      "gitlab-runner.service.d/register-runner.conf",
    ]
  ) {
    ok(
      !/^\s*(LoadCredential|LoadCredentialEncrypted|SetCredential)\S*=/m.test(read(name)),
      `${name}: credentials belong in a site's drop-in (systemd >= 247), not in the shipped unit`,
    );
  }
});

Deno.test({
  name: "the sync unit's system-call filter allows chown (CAP_CHOWN gives files back)",
  ignore: !HAS_ANALYZE,
  fn: async () => {
    const r = await analyze(["security", "--offline=yes", `${UNITS}/register-runner@.service`]);
    // systemd computes the merged filter: @system-service, minus @privileged, plus @chown.
    match(r.stdout, /SystemCallFilter=~@privileged\s+System call allow list .* chown is allowed/);
    match(r.stdout, /✓ SystemCallFilter=~@clock/);
    match(r.stdout, /✓ SystemCallFilter=~@module/);
  },
});
