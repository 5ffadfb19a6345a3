/**
 * Bad input never hurts, at the CLI level, with a fixed seed: truncated files, wrong types, huge
 * values, binary garbage, symlinks pointing elsewhere, duplicate keys and a broken previous config
 * all exit 3 under `--strict` with a message and no stack trace, leave the config byte-identical,
 * leave no temp file and change nothing in GitLab. Without `--strict` a bad executor file is
 * quarantined instead: exit 0 with a warning naming it, and still the config byte-identical and
 * nothing changed in GitLab (the other file's runner is in sync already). Non-`.toml` entries in the executor directory (and hidden
 * files, and directories) are skipped by design: exit 0, config unchanged.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import { runCli } from "./support/cli.ts";
import {
  assertNoSecrets,
  expectOk,
  leftovers,
  secretsOf,
  withSetup,
  writeSite,
} from "./support/e2e.ts";
import { seededRandom } from "./support/fixtures.ts";
import type { Prefix } from "./support/prefix.ts";

const NAMES = ["shell", "gpu"];

/** One bad input: what to change in the prefix, and the exit code it must give. */
interface Case {
  name: string;
  code: 0 | 3;
  /** The problem is confined to one executor file: without `--strict` it exits 0 and warns. */
  confined?: true;
  apply(p: Prefix, gitlab: FakeGitLab): Promise<void>;
}

const enc = new TextEncoder();

async function writeBytes(p: Prefix, relative: string, bytes: Uint8Array): Promise<void> {
  const path = `${p.dir}/${relative}`;
  await Deno.writeFile(path, bytes, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

async function symlink(p: Prefix, target: string, relative: string): Promise<void> {
  await Deno.remove(`${p.dir}/${relative}`).catch(() => {});
  await Deno.symlink(target, `${p.dir}/${relative}`);
}

function invalidToml(text: string): boolean {
  try {
    parse(text);
    return false;
  } catch {
    return true;
  }
}

/** Truncations of `text` that are not valid TOML, at seeded positions. */
function truncations(text: string, random: () => number, count: number): string[] {
  const found: string[] = [];
  for (let tries = 0; found.length < count && tries < 500; tries++) {
    const cut = text.slice(0, 1 + Math.floor(random() * (text.length - 2)));
    if (invalidToml(cut) && !found.includes(cut)) found.push(cut);
  }
  return found;
}

function garbage(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function cases(gitlab: FakeGitLab, template: string, shell: string): Case[] {
  const random = seededRandom(0x5eed);
  const url = gitlab.url;
  const exec = (name: string, code: 0 | 3, body: string): Case => ({
    name,
    code,
    confined: true,
    apply: (p) => p.writeExecutor("shell", body),
  });
  const tmpl = (name: string, body: string): Case => ({
    name,
    code: 3,
    apply: (p) => p.writeFile("config.template.main.toml", body),
  });
  const list: Case[] = [
    ...truncations(shell, random, 4).map((t, i) => exec(`executor truncated #${i + 1}`, 3, t)),
    ...truncations(template, random, 3).map((t, i) => tmpl(`template truncated #${i + 1}`, t)),
    exec("executor is a number", 3, `url = "${url}"\nexecutor = 5\n`),
    exec("tags is a string", 3, `url = "${url}"\nexecutor = "shell"\ntags = "gpu"\n`),
    exec(
      "run_untagged is a string",
      3,
      `url = "${url}"\nexecutor = "shell"\nrun_untagged = "no"\n`,
    ),
    exec("url is an array", 3, `url = ["${url}"]\nexecutor = "shell"\n`),
    exec("executor is an empty string", 3, `url = "${url}"\nexecutor = ""\n`),
    exec(
      "maximum_timeout too small",
      3,
      `url = "${url}"\nexecutor = "shell"\nmaximum_timeout = 5\n`,
    ),
    exec(
      "maximum_timeout beyond 64 bits",
      3,
      `url = "${url}"\nexecutor = "shell"\nmaximum_timeout = 99999999999999999999999\n`,
    ),
    exec(
      "maximum_timeout is inf",
      3,
      `url = "${url}"\nexecutor = "shell"\nmaximum_timeout = inf\n`,
    ),
    exec("generated key token", 3, `url = "${url}"\nexecutor = "shell"\ntoken = "glrt-x"\n`),
    exec("duplicate key", 3, `url = "${url}"\nexecutor = "shell"\nexecutor = "docker"\n`),
    exec("duplicate table", 3, `url = "${url}"\nexecutor = "docker"\n[docker]\n[docker]\n`),
    tmpl("template duplicate key", `${template}\nconcurrent = 9\n`),
    tmpl("template client_configs is a string", `concurrent = 1\nclient_configs = "x"\n`),
    tmpl(
      "template placeholder PAT",
      template.replace(
        /personal_access_token = ".*"/,
        'personal_access_token = "{personal_access_token}"',
      ),
    ),
    {
      name: "executor file of 9 MB",
      code: 3,
      confined: true,
      apply: (p) => p.writeExecutor("shell", `${shell}# ${"x".repeat(9 * 1024 * 1024)}\n`),
    },
    {
      name: "binary garbage executor",
      code: 3,
      confined: true,
      apply: (p) => writeBytes(p, "main/shell.toml", garbage(random, 300)),
    },
    {
      name: "binary garbage template",
      code: 3,
      apply: (p) => writeBytes(p, "config.template.main.toml", garbage(random, 300)),
    },
    {
      name: "NUL bytes in a string",
      code: 3,
      confined: true,
      apply: (p) =>
        writeBytes(p, "main/shell.toml", enc.encode(`url = "${url}\0"\nexecutor = "shell"\n`)),
    },
    {
      name: "previous config is garbage",
      code: 3,
      apply: (p) => writeBytes(p, "config.main.toml", garbage(random, 500)),
    },
    {
      name: "previous config runners is a string",
      code: 3,
      apply: (p) => p.writeFile("config.main.toml", `concurrent = 1\nrunners = "x"\n`),
    },
    {
      name: "executor symlink to /etc/passwd",
      code: 3,
      confined: true,
      apply: (p) => symlink(p, "/etc/passwd", "main/shell.toml"),
    },
    {
      name: "executor symlink to nothing",
      code: 3,
      confined: true,
      apply: (p) => symlink(p, `${p.dir}/nowhere.toml`, "main/shell.toml"),
    },
    {
      name: "executor symlink to a directory",
      code: 3,
      confined: true,
      apply: (p) => symlink(p, "/tmp", "main/shell.toml"),
    },
    {
      name: "executor symlink to the template",
      code: 3,
      confined: true,
      apply: (p) => symlink(p, p.templateFile, "main/shell.toml"),
    },
    {
      name: "template symlink to a world-readable file",
      code: 3,
      apply: async (p) => {
        await Deno.writeTextFile(`${p.dir}/open.toml`, template, { mode: 0o644 });
        await Deno.chmod(`${p.dir}/open.toml`, 0o644);
        await symlink(p, `${p.dir}/open.toml`, "config.template.main.toml");
      },
    },
    {
      name: "executor file name with a space",
      code: 3,
      confined: true,
      apply: (p) => p.writeExecutor("bad name", `url = "${url}"\nexecutor = "shell"\n`),
    },
    {
      name: "non-TOML files, hidden files and a directory are skipped",
      code: 0,
      apply: async (p) => {
        await writeBytes(p, "main/README.md", garbage(random, 200));
        await writeBytes(p, "main/shell.toml.bak", garbage(random, 200));
        await writeBytes(p, "main/.hidden.toml", garbage(random, 200));
        await Deno.mkdir(`${p.dir}/main/dir.toml`, { mode: 0o700 });
      },
    },
  ];
  return list;
}

Deno.test("CLI fuzz: bad input exits 3 cleanly and never touches the config", async (t) => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, NAMES);
    expectOk(await runCli(prefix), gitlab);
    const good = await Deno.readFile(prefix.outputFile);
    const template = await Deno.readTextFile(prefix.templateFile);
    const shell = await Deno.readTextFile(`${prefix.dir}/main/shell.toml`);
    const gpu = await Deno.readTextFile(`${prefix.dir}/main/gpu.toml`);
    const restore = async () => {
      for await (const e of Deno.readDir(`${prefix.dir}/main`)) {
        await Deno.remove(`${prefix.dir}/main/${e.name}`, { recursive: true });
      }
      await Deno.remove(`${prefix.dir}/open.toml`).catch(() => {});
      await Deno.remove(prefix.templateFile);
      await prefix.writeFile("config.template.main.toml", template);
      await prefix.writeExecutor("shell", shell);
      await prefix.writeExecutor("gpu", gpu);
      await writeBytes(prefix, "config.main.toml", good);
    };
    const all = cases(gitlab, template, shell);
    ok(all.length >= 30, `${all.length} cases`);
    for (const c of all) {
      await t.step(c.name, async () => {
        const mutations = gitlab.mutations().length;
        await c.apply(prefix, gitlab);
        const before = await Deno.readFile(prefix.outputFile);
        try {
          for (const strict of [true, false]) {
            const result = await runCli(prefix, strict ? ["--strict"] : []);
            const output = result.stdout + result.stderr;
            const code = !strict && c.confined ? 0 : c.code;
            const run = strict ? "--strict" : "default";
            equal(result.code, code, `${run}: exit ${code} expected:\n${output}`);
            if (code === 3) ok(/^error: /m.test(result.stderr), "an error message");
            if (code === 0 && c.confined) {
              ok(
                /^warn: .*main\/(shell|bad name)\.toml.*left as it was/m.test(result.stderr),
                output,
              );
            }
            ok(!/at (async )?\S*file:\/\/|\.ts:\d+:\d+/.test(output), `no stack trace:\n${output}`);
            ok(!/internal error/.test(output), "not an internal error");
            assertNoSecrets(output, secretsOf(gitlab));
            equal(
              new TextDecoder().decode(await Deno.readFile(prefix.outputFile)),
              new TextDecoder().decode(before),
              `${run}: config byte-identical`,
            );
            deepEqual(await leftovers(prefix), [], "no temp file, no journal");
            equal(gitlab.mutations().length, mutations, `${run}: nothing changed in GitLab`);
          }
        } finally {
          await restore();
        }
      });
    }
  });
});
