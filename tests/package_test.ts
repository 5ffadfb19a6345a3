/**
 * `deno task package`: the RPM and the .deb for x86_64 and aarch64, their contents and metadata,
 * rpmlint and lintian without errors, and the .deb unpacked into a scratch root runs.
 *
 * The real input is the `deno compile` binary, which cannot be built offline (deno compile
 * downloads its denort runtime). These tests therefore package a launcher script that runs
 * `deno run main.ts` and so answers `--version` as register-runner does. Because of that, the one
 * rpmlint error allowed here is `no-binary` (the launcher is a script); a real build has none.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { ARCHES, buildDeb, buildRpm, checkBinary, packageNames } from "../scripts/package.ts";
import { VERSION } from "../src/kernel/version.ts";
import { ROOT } from "./support/cli.ts";

async function has(program: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .output()).success;
}

async function sh(program: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

const TOOLS = await Promise.all(["rpmbuild", "dpkg-deb"].map(has));
const CAN_BUILD = TOOLS.every(Boolean);

/**
 * Runs a package scriptlet with `args` against stub systemctl and deb-systemd-invoke that record
 * their arguments (one instance, main, of the timer and the sync is "loaded"), as if systemd were
 * running (/run/systemd/system is pointed at a scratch directory). Returns the calls.
 */
async function scriptlet(dir: string, body: string, args: string[]): Promise<string[]> {
  const bin = `${dir}/stub-bin`;
  const log = `${dir}/calls.log`;
  const running = `${dir}/run-systemd-system`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(running, { recursive: true });
  for (const tool of ["systemctl", "deb-systemd-invoke"]) {
    await Deno.writeTextFile(
      `${bin}/${tool}`,
      `#!/bin/sh\necho "${tool} $*" >> "${log}"\n` +
        `case "$*" in *list-units*timer*) echo "register-runner@main.timer loaded active waiting t";; ` +
        `*list-units*service*) echo "register-runner@main.service loaded inactive dead s";; esac\n`,
      { mode: 0o755 },
    );
  }
  await Deno.writeTextFile(log, "");
  await Deno.writeTextFile(`${dir}/script`, body.replaceAll("/run/systemd/system", running));
  const out = await new Deno.Command("sh", {
    args: [`${dir}/script`, ...args],
    env: { PATH: `${bin}:/usr/bin:/bin` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return (await Deno.readTextFile(log)).split("\n").filter((l) => l !== "");
}

async function launcher(dir: string, answer?: string): Promise<string> {
  const path = `${dir}/launcher`;
  const body = answer === undefined
    ? `exec "${Deno.execPath()}" run --quiet -A "${ROOT}main.ts" "$@"`
    : `echo "${answer}"`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

Deno.test("the spec's Version and Release are the ones deno.json and the package names say", async () => {
  const spec = await Deno.readTextFile(`${ROOT}packaging/register-runner.spec`);
  match(spec, new RegExp(`^Version: +${VERSION.replaceAll(".", "\\.")}$`, "m"));
  match(spec, /^Release: +1$/m);
});

Deno.test("a binary that does not answer --version as register-runner VERSION is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      checkBinary(await launcher(dir, "register-runner 0.0.1"), "x86_64"),
      /not "register-runner/,
    );
    await rejects(checkBinary(await launcher(dir, "gitlab-runner 17.0"), "x86_64"), /--version/);
    // An ELF for the other architecture must be that architecture's.
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    elf[18] = 40; // ARM (32-bit)
    await Deno.writeFile(`${dir}/arm`, elf, { mode: 0o755 });
    const other = Deno.build.arch === "x86_64" ? "aarch64" : "x86_64";
    await rejects(checkBinary(`${dir}/arm`, other), /not a .* binary/);
    await checkBinary(await launcher(dir), Deno.build.arch);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "RPM and .deb for x86_64 and aarch64: contents, metadata, lint, and the .deb runs",
  ignore: !CAN_BUILD,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "register-runner-pkg-" });
    try {
      const binary = await launcher(dir);
      for (const arch of Object.keys(ARCHES)) {
        const rpm = await buildRpm(binary, arch, dir);
        const deb = await buildDeb(binary, arch, dir);
        equal(rpm, `${dir}/${packageNames(arch).rpm}`);
        ok(rpm.endsWith(`register-runner-${VERSION}-1.${arch}.rpm`));
        ok(deb.endsWith(`register-runner_${VERSION}-1_${ARCHES[arch]!.deb}.deb`));

        const expected = [
          "/usr/bin/register-runner",
          "/usr/lib/systemd/system/register-runner@.service",
          "/usr/lib/systemd/system/register-runner@.timer",
          "/usr/lib/systemd/system/gitlab-runner@.service",
          "/usr/share/man/man1/register-runner.1.gz",
          "/usr/share/bash-completion/completions/register-runner",
          "/usr/share/doc/register-runner/LICENSE",
          "/usr/share/doc/register-runner/examples/prefix/config.template.main.toml",
          "/usr/share/doc/register-runner/examples/prefix/main/shell.toml",
        ];
        const rpmFiles = (await sh("rpm", ["-qlp", rpm])).out.split("\n");
        for (
          const f of [
            ...expected,
            "/usr/share/doc/register-runner/README.md",
            "/usr/share/zsh/site-functions/_register-runner",
          ]
        ) {
          ok(rpmFiles.includes(f), `${arch} rpm lacks ${f}`);
        }
        const info = (await sh("rpm", [
          "-qp",
          "--qf",
          "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}",
          rpm,
        ])).out;
        equal(info, `register-runner ${VERSION} 1 ${arch} MIT`);
        const mode =
          (await sh("rpm", ["-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]", rpm])).out;
        match(mode, /^-rwxr-xr-x \/usr\/bin\/register-runner$/m);

        const debFiles = (await sh("dpkg-deb", ["--contents", deb])).out;
        for (
          const f of [
            ...expected,
            "/usr/share/doc/register-runner/README.md.gz",
            "/usr/share/doc/register-runner/copyright",
            "/usr/share/zsh/vendor-completions/_register-runner",
          ]
        ) {
          ok(debFiles.includes(` .${f}\n`), `${arch} deb lacks ${f}`);
        }
        for (const line of debFiles.trim().split("\n")) {
          equal(line.split(/\s+/)[1], "root/root", line);
        }
        const field = async (name: string) =>
          (await sh("dpkg-deb", ["--field", deb, name])).out.trim();
        equal(await field("Package"), "register-runner");
        equal(await field("Version"), `${VERSION}-1`);
        equal(await field("Architecture"), ARCHES[arch]!.deb);
        match(await field("Depends"), /^libc6 \(>= 2\.\d+\)$/);

        if (await has("rpmlint")) {
          const lint = await sh("rpmlint", ["-r", `${ROOT}packaging/rpmlintrc`, rpm]);
          const errors = lint.out.split("\n").filter((l) => / E: /.test(l));
          deepEqual(errors.filter((l) => !/ E: no-binary$/.test(l)), [], lint.out);
        }
        if (await has("lintian")) {
          const lint = await sh("lintian", ["--no-cfg", deb]);
          deepEqual(lint.out.split("\n").filter((l) => /^E: /.test(l)), [], lint.out);
        }
      }
      if (await has("rpmlint")) {
        const spec = await sh("rpmlint", [`${ROOT}packaging/register-runner.spec`]);
        deepEqual(spec.out.split("\n").filter((l) => / E: /.test(l)), [], spec.out);
      }

      // The scriptlets, run against a systemctl that records what it is asked.
      const rpm = `${dir}/${packageNames("x86_64").rpm}`;
      const rpmScript = async (tag: string) =>
        (await sh("rpm", ["-qp", "--qf", `%{${tag}}`, rpm])).out;
      const deb = `${dir}/${packageNames("x86_64").deb}`;
      const control = `${dir}/control`;
      equal((await sh("dpkg-deb", ["--control", deb, control])).code, 0);
      const debScript = (name: string) => Deno.readTextFile(`${control}/${name}`);
      const calls = {
        rpmPostInstall: await scriptlet(dir, await rpmScript("POSTIN"), ["1"]),
        rpmPostUpgrade: await scriptlet(dir, await rpmScript("POSTIN"), ["2"]),
        rpmPreunUpgrade: await scriptlet(dir, await rpmScript("PREUN"), ["1"]),
        rpmPreunRemove: await scriptlet(dir, await rpmScript("PREUN"), ["0"]),
        rpmPostunUpgrade: await scriptlet(dir, await rpmScript("POSTUN"), ["1"]),
        rpmPostunRemove: await scriptlet(dir, await rpmScript("POSTUN"), ["0"]),
        debPostinst: await scriptlet(dir, await debScript("postinst"), ["configure", "0.0.9-1"]),
        debPrermUpgrade: await scriptlet(dir, await debScript("prerm"), ["upgrade", "0.2.0-1"]),
        debPrermRemove: await scriptlet(dir, await debScript("prerm"), ["remove"]),
        debPostrmUpgrade: await scriptlet(dir, await debScript("postrm"), ["upgrade", "0.2.0-1"]),
        debPostrmRemove: await scriptlet(dir, await debScript("postrm"), ["remove"]),
      };
      deepEqual(calls.rpmPostInstall, [
        "systemctl --no-reload preset register-runner@.service register-runner@.timer gitlab-runner@.service",
      ]);
      deepEqual(calls.rpmPostUpgrade, []);
      deepEqual(calls.rpmPreunUpgrade, []);
      deepEqual(calls.rpmPreunRemove.filter((c) => !c.includes("list-units")), [
        "systemctl --no-reload disable --now register-runner@main.timer",
        "systemctl stop register-runner@main.service",
      ]);
      deepEqual(calls.rpmPostunUpgrade, ["systemctl daemon-reload"]);
      deepEqual(calls.rpmPostunRemove, ["systemctl daemon-reload"]);
      deepEqual(calls.debPostinst, ["systemctl --system daemon-reload"]);
      deepEqual(calls.debPrermUpgrade, []);
      deepEqual(calls.debPrermRemove.filter((c) => !c.includes("list-units")), [
        "deb-systemd-invoke stop register-runner@main.timer",
        "systemctl --no-reload disable register-runner@main.timer",
        "deb-systemd-invoke stop register-runner@main.service",
      ]);
      deepEqual(calls.debPostrmUpgrade, []);
      deepEqual(calls.debPostrmRemove, ["systemctl --system daemon-reload"]);
      // Never a restart of anything, and gitlab-runner@ instances are never stopped.
      for (const [when, list] of Object.entries(calls)) {
        for (const c of list) {
          ok(!/restart|reload-or|\bstart\b|enable/.test(c), `${when}: ${c}`);
          ok(!/gitlab-runner@\w/.test(c), `${when}: ${c}`);
        }
      }

      // Install the host's .deb into a scratch root and run it from there.
      const host = Deno.build.arch in ARCHES ? Deno.build.arch : "x86_64";
      const scratch = `${dir}/root`;
      const unpack = await sh("dpkg-deb", ["-x", `${dir}/${packageNames(host).deb}`, scratch]);
      equal(unpack.code, 0, unpack.out);
      const ran = await sh(`${scratch}/usr/bin/register-runner`, ["--version"]);
      equal(ran.code, 0, ran.out);
      equal(ran.out.trim(), `register-runner ${VERSION}`);
      const man = await Deno.stat(`${scratch}/usr/share/man/man1/register-runner.1.gz`);
      ok(man.isFile);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
