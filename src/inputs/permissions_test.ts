import assert from "node:assert/strict";
import { join } from "node:path";
import { formatMode, privacyProblem } from "./permissions.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { MINIMAL_SITE, Prefix } from "../../tests/support/prefix.ts";
import { tempDir } from "../../tests/support/temp.ts";
import { InputErrors } from "./problems.ts";

const SHELL = 'url = "https://gitlab.example.com"\nexecutor = "shell"\n';

Deno.test("privacyProblem: any group or other bit is refused, with the exact chmod", async () => {
  const dir = await tempDir();
  const file = join(dir, "f");
  await Deno.writeTextFile(file, "x");
  for (const mode of [0o600, 0o400, 0o700]) {
    await Deno.chmod(file, mode);
    assert.equal(privacyProblem(file, await Deno.stat(file), "why"), undefined);
  }
  for (const mode of [0o640, 0o604, 0o601, 0o610]) {
    await Deno.chmod(file, mode);
    const problem = privacyProblem(file, await Deno.stat(file), "it holds a secret.");
    assert.ok(problem, formatMode(mode));
    assert.equal(
      problem.message,
      `${file}: file is accessible by group or others (mode ${
        formatMode(mode)
      }); it holds a secret.`,
    );
    assert.equal(problem.hint, `Run: chmod 600 ${file}`);
  }
  await Deno.chmod(dir, 0o750);
  assert.equal(privacyProblem(dir, await Deno.stat(dir), "w")?.hint, `Run: chmod 700 ${dir}`);
  assert.equal(formatMode(0o100644), "0644");
});

Deno.test("loadSite: refuses an open prefix, executor dir, template, secret or executor file", async () => {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: { "shell.toml": SHELL } })).dir;
  await Deno.chmod(prefix, 0o755);
  await Deno.chmod(join(prefix, "main"), 0o705);
  await Deno.chmod(join(prefix, "config.template.main.toml"), 0o644);
  await Deno.chmod(join(prefix, "pat"), 0o640);
  await Deno.chmod(join(prefix, "main", "shell.toml"), 0o660);
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.ok(error instanceof InputErrors);
  const found = error.problems.map(shown);
  assert.equal(found.length, 5, found.join("\n"));
  assert.match(found[0]!, /directory is accessible by group or others \(mode 0755\)[^]*chmod 700 /);
  assert.match(
    found[1]!,
    /config\.template\.main\.toml: file is accessible .*\(mode 0644\)[^]*chmod 600 .*config\.template\.main\.toml/,
  );
  assert.match(
    found[2]!,
    /personal_access_token_file` \(line 5\): .*\/pat: file is accessible .*\(mode 0640\)[^]*chmod 600 .*\/pat/,
  );
  assert.match(found[3]!, /\/main: directory is accessible .*\(mode 0705\)[^]*chmod 700 .*\/main/);
  assert.match(
    found[4]!,
    /shell\.toml: file is accessible .*\(mode 0660\)[^]*chmod 600 .*shell\.toml/,
  );

  const { site } = await loadSite({
    prefix,
    instance: "main",
    env: testEnv(),
    checkPermissions: false,
  });
  assert.equal(site.executors.length, 1);
});

Deno.test("loadSite: a symlinked executor file is checked at its target", async () => {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: {} })).dir;
  const outside = await tempDir();
  await Deno.writeTextFile(join(outside, "t.toml"), SHELL);
  await Deno.chmod(join(outside, "t.toml"), 0o644);
  await Deno.symlink(join(outside, "t.toml"), join(prefix, "main", "l.toml"));
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  assert.match(error.message, /l\.toml: file is accessible by group or others \(mode 0644\)/);
});
