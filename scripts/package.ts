/**
 * `deno task package`: builds `dist/register-runner-VERSION-1.ARCH.rpm` (rpmbuild, from
 * packaging/register-runner.spec) and `dist/register-runner_VERSION-1_DEBARCH.deb` (dpkg-deb)
 * for x86_64 and aarch64 from the compiled binaries (`deno task compile`, default
 * `dist/register-runner-ARCH-linux`).
 *
 * A binary is refused unless it answers `--version` with `register-runner VERSION`; a binary for
 * another architecture than this machine's cannot be run, so it must instead be an ELF file for
 * that architecture that embeds the version string.
 *
 * Usage: deno task package [--arch x86_64|aarch64]... [--binary PATH] [--out-dir DIR]
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../src/kernel/version.ts";

/** The repository root. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The architectures packaged: RPM name → Debian name and ELF e_machine. */
export const ARCHES: Record<string, { deb: string; elfMachine: number }> = {
  x86_64: { deb: "amd64", elfMachine: 62 },
  aarch64: { deb: "arm64", elfMachine: 183 },
};

/** The package release (the `-1`). */
export const RELEASE = "1";
/** Debian's Maintainer field and the changelog's signer. */
export const MAINTAINER = "register-runner maintainers <register-runner@example.org>";
/** The oldest glibc the compiled binary runs on (Deno's runtime, measured with objdump -T). */
export const MIN_GLIBC = "2.27";
/** The changelog date, fixed so that builds are reproducible. */
const CHANGELOG_DATE = "Wed, 01 Jan 2025 00:00:00 +0000";

/** Files of the repository that go into the source tarball (and so the packages). */
const SOURCE_FILES = [
  "LICENSE",
  "README.md",
  "packaging/register-runner.spec",
  "packaging/lintian-overrides",
  "packaging/rpmlintrc",
  "packaging/deb/postinst",
  "packaging/deb/prerm",
  "packaging/deb/postrm",
  "packaging/register-runner.1",
  "packaging/completions/register-runner.bash",
  "packaging/completions/_register-runner",
  "examples/systemd/register-runner@.service",
  "examples/systemd/register-runner@.timer",
  "examples/systemd/gitlab-runner@.service",
  "examples/systemd/gitlab-runner.service.d/register-runner.conf",
  "examples/prefix",
];

/** Package file names, as the issue and README name them. */
export function packageNames(arch: string): { rpm: string; deb: string } {
  return {
    rpm: `register-runner-${VERSION}-${RELEASE}.${arch}.rpm`,
    deb: `register-runner_${VERSION}-${RELEASE}_${ARCHES[arch]!.deb}.deb`,
  };
}

async function run(program: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(program, {
    args,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C", SOURCE_DATE_EPOCH: "1735689600" },
  }).output();
  const d = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed:\n${d.decode(out.stderr)}${d.decode(out.stdout)}`,
    );
  }
  return d.decode(out.stdout);
}

/**
 * Checks that `binary` is register-runner VERSION for `arch`; throws saying why not. A binary
 * this machine can run must answer `--version` exactly; a foreign ELF binary must be for `arch`
 * and contain the version string.
 */
export async function checkBinary(binary: string, arch: string): Promise<void> {
  const expected = `register-runner ${VERSION}`;
  const head = new Uint8Array(20);
  const file = await Deno.open(binary, { read: true });
  const n = await file.read(head);
  file.close();
  const isElf = n === 20 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c &&
    head[3] === 0x46;
  if (isElf) {
    const machine = head[18]! | (head[19]! << 8);
    if (machine !== ARCHES[arch]!.elfMachine) {
      throw new Error(`${binary} is not a ${arch} binary (ELF machine ${machine})`);
    }
  }
  let said: string | undefined;
  try {
    const out = await new Deno.Command(binary, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    said = new TextDecoder().decode(out.stdout).trim();
  } catch (error) {
    const foreign = isElf && arch !== Deno.build.arch;
    if (!foreign) {
      throw new Error(`${binary} cannot be run: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (said === undefined) {
    const text = new TextDecoder("latin1").decode(await Deno.readFile(binary));
    if (!text.includes(`"${VERSION}"`) || !text.includes("register-runner")) {
      throw new Error(
        `${binary} (${arch}, not runnable here) does not embed register-runner ${VERSION}`,
      );
    }
    return;
  }
  if (said !== expected) {
    throw new Error(`${binary} answers --version with "${said.split("\n")[0]}", not "${expected}"`);
  }
}

/** Makes `register-runner-VERSION.tar.gz` (the spec's Source0) in `dir`. */
async function sourceTarball(dir: string): Promise<string> {
  const name = `register-runner-${VERSION}`;
  const tree = `${dir}/${name}`;
  for (const path of SOURCE_FILES) {
    await run("mkdir", ["-p", `${tree}/${path.split("/").slice(0, -1).join("/")}`]);
    await run("cp", ["-pr", `${ROOT}${path}`, `${tree}/${path}`]);
  }
  const tarball = `${dir}/${name}.tar.gz`;
  await run("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--mtime=@1735689600",
    "-czf",
    tarball,
    "-C",
    dir,
    name,
  ]);
  return tarball;
}

/** Builds the RPM for `arch` into `outDir`; returns its path. */
export async function buildRpm(binary: string, arch: string, outDir: string): Promise<string> {
  const top = await Deno.makeTempDir({ prefix: "register-runner-rpm-" });
  try {
    const sources = `${top}/SOURCES`;
    await Deno.mkdir(sources, { recursive: true });
    await sourceTarball(sources);
    await Deno.copyFile(binary, `${sources}/register-runner-${arch}-linux`);
    await run("rpmbuild", [
      "-bb",
      "--quiet",
      "--nodeps",
      "--target",
      arch,
      "--define",
      `_topdir ${top}`,
      "--define",
      `_sourcedir ${sources}`,
      "--define",
      `_rpmdir ${outDir}`,
      "--define",
      "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
      `${ROOT}packaging/register-runner.spec`,
    ]);
    return `${outDir}/${packageNames(arch).rpm}`;
  } finally {
    await Deno.remove(top, { recursive: true });
  }
}

/** Debian's machine-readable copyright file, with the license text. */
function copyright(): string {
  const license = Deno.readTextFileSync(`${ROOT}LICENSE`).trimEnd().split("\n");
  const holder = license.find((l) => l.startsWith("Copyright"))?.replace(/^Copyright \(c\) /, "") ??
    "The register-runner authors";
  const body = license.slice(1).map((l) => (l.trim() === "" ? " ." : ` ${l}`));
  return [
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
    "Upstream-Name: register-runner",
    "",
    "Files: *",
    `Copyright: ${holder}`,
    "License: MIT",
    ...body.slice(body[0] === " ." ? 1 : 0),
    "",
  ].join("\n");
}

/** Builds the .deb for `arch` into `outDir`; returns its path. */
export async function buildDeb(binary: string, arch: string, outDir: string): Promise<string> {
  const work = await Deno.makeTempDir({ prefix: "register-runner-deb-" });
  try {
    const root = `${work}/root`;
    const doc = `${root}/usr/share/doc/register-runner`;
    const units = `${root}/usr/lib/systemd/system`;
    const install = async (from: string, to: string, mode: number) => {
      await Deno.mkdir(to.split("/").slice(0, -1).join("/"), { recursive: true });
      await Deno.copyFile(from, to);
      await Deno.chmod(to, mode);
    };
    await install(binary, `${root}/usr/bin/register-runner`, 0o755);
    for (
      const unit of ["register-runner@.service", "register-runner@.timer", "gitlab-runner@.service"]
    ) {
      await install(`${ROOT}examples/systemd/${unit}`, `${units}/${unit}`, 0o644);
    }
    await install(
      `${ROOT}packaging/register-runner.1`,
      `${root}/usr/share/man/man1/register-runner.1`,
      0o644,
    );
    await run("gzip", ["-9n", `${root}/usr/share/man/man1/register-runner.1`]);
    await install(
      `${ROOT}packaging/completions/register-runner.bash`,
      `${root}/usr/share/bash-completion/completions/register-runner`,
      0o644,
    );
    await install(
      `${ROOT}packaging/completions/_register-runner`,
      `${root}/usr/share/zsh/vendor-completions/_register-runner`,
      0o644,
    );
    await install(`${ROOT}README.md`, `${doc}/README.md`, 0o644);
    await run("gzip", ["-9n", `${doc}/README.md`]);
    await install(`${ROOT}LICENSE`, `${doc}/LICENSE`, 0o644);
    await Deno.writeTextFile(`${doc}/copyright`, copyright());
    await Deno.writeTextFile(
      `${doc}/changelog.Debian`,
      `register-runner (${VERSION}-${RELEASE}) unstable; urgency=medium\n\n` +
        `  * Package of register-runner ${VERSION}.\n\n -- ${MAINTAINER}  ${CHANGELOG_DATE}\n`,
    );
    await run("gzip", ["-9n", `${doc}/changelog.Debian`]);
    await Deno.mkdir(`${doc}/examples/systemd`, { recursive: true });
    await run("cp", ["-pr", `${ROOT}examples/prefix`, `${doc}/examples/`]);
    await run("cp", [
      "-pr",
      `${ROOT}examples/systemd/gitlab-runner.service.d`,
      `${doc}/examples/systemd/`,
    ]);
    // The compiled binary is the Deno runtime with the program appended: stripping breaks it.
    await install(
      `${ROOT}packaging/lintian-overrides`,
      `${root}/usr/share/lintian/overrides/register-runner`,
      0o644,
    );
    await run("chmod", ["-R", "u+rwX,go+rX,go-w", root]);
    const size = Number((await run("du", ["-sk", "--apparent-size", root])).split("\t")[0]);
    const md5 = await run(
      "sh",
      ["-c", "find usr -type f -print0 | sort -z | xargs -0 md5sum"],
      root,
    );
    await Deno.mkdir(`${root}/DEBIAN`);
    await Deno.writeTextFile(`${root}/DEBIAN/md5sums`, md5);
    await Deno.writeTextFile(
      `${root}/DEBIAN/control`,
      [
        "Package: register-runner",
        `Version: ${VERSION}-${RELEASE}`,
        `Architecture: ${ARCHES[arch]!.deb}`,
        `Maintainer: ${MAINTAINER}`,
        `Installed-Size: ${size}`,
        `Depends: libc6 (>= ${MIN_GLIBC})`,
        "Suggests: gitlab-runner, prometheus-node-exporter",
        "Section: admin",
        "Priority: optional",
        "Description: registers this host's GitLab runners and writes their config",
        " register-runner makes GitLab and gitlab-runner's config.toml agree for this",
        " host: it registers, restores, updates and deletes the runners described by",
        " executor files, and writes the config gitlab-runner reloads. The systemd",
        " timer syncs periodically without restarting gitlab-runner, so running jobs",
        " are never interrupted; --metrics-file writes Prometheus metrics for",
        " node_exporter.",
        "",
      ].join("\n"),
    );
    await run("chmod", ["0644", `${root}/DEBIAN/control`, `${root}/DEBIAN/md5sums`]);
    // Maintainer scripts: daemon-reload; on removal stop and disable the timers. Never a restart
    // of gitlab-runner@ (it would wait for, or kill, running jobs).
    for (const script of ["postinst", "prerm", "postrm"]) {
      await install(`${ROOT}packaging/deb/${script}`, `${root}/DEBIAN/${script}`, 0o755);
    }
    const out = `${outDir}/${packageNames(arch).deb}`;
    await run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, out]);
    return out;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      arch: { type: "string", multiple: true },
      binary: { type: "string" },
      "out-dir": { type: "string", default: `${ROOT}dist` },
    },
  });
  const arches = values.arch ?? Object.keys(ARCHES);
  const outDir = values["out-dir"];
  await Deno.mkdir(outDir, { recursive: true });
  for (const arch of arches) {
    if (!(arch in ARCHES)) {
      console.error(
        `unsupported architecture ${arch}; supported: ${Object.keys(ARCHES).join(", ")}`,
      );
      return 2;
    }
    const binary = values.binary ?? `${outDir}/register-runner-${arch}-linux`;
    try {
      await checkBinary(binary, arch);
      console.error(`built ${await buildRpm(binary, arch, outDir)}`);
      console.error(`built ${await buildDeb(binary, arch, outDir)}`);
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
