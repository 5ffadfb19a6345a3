/**
 * `deno task demo`: register-runner's main job on a built-in example, with no network.
 *
 * Starts the fake GitLab on loopback, copies `examples/prefix` into a temporary directory (URL
 * pointed at the fake, a fake token written to the secrets file), runs a sync, shows what was done
 * and the resulting config (tokens masked), then runs again to show that nothing changes, then
 * removes one executor file to show the runner being deleted.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { startFakeGitLab } from "../tests/support/fake_gitlab/server.ts";
import { DENO_RUN_CLI } from "../tests/support/cli.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLE = `${ROOT}examples/prefix`;
const bold = (s: string) => (Deno.noColor ? s : `\x1b[1m${s}\x1b[0m`);

async function copyTree(
  from: string,
  to: string,
  rewrite: (text: string) => string,
): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o700 });
  await Deno.chmod(to, 0o700);
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyTree(src, dst, rewrite);
    else if (entry.isFile) {
      await Deno.writeTextFile(dst, rewrite(await Deno.readTextFile(src)), { mode: 0o600 });
      await Deno.chmod(dst, 0o600);
    }
  }
}

function maskTokens(text: string): string {
  return text.replace(/^(\s*token = )"[^"]*"/gm, '$1"…masked by the demo…"');
}

async function run(prefix: string, title: string): Promise<void> {
  console.log(
    `\n${bold(`$ register-runner --prefix ${prefix} --service-instance main`)}   # ${title}`,
  );
  const [program, ...leading] = DENO_RUN_CLI;
  const result = await new Deno.Command(program!, {
    args: [...leading, "--prefix", prefix, "--service-instance", "main"],
    env: { SYS_TYPE: "toss_4_x86_64_ib" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`register-runner exited with ${result.code}`);
}

async function main(): Promise<void> {
  const gitlab = await startFakeGitLab({});
  const prefix = await Deno.makeTempDir({ prefix: "register-runner-demo-" });
  try {
    console.log(bold("register-runner demo"));
    console.log(`fake GitLab on ${gitlab.url} (loopback only); example prefix copied to ${prefix}`);
    await copyTree(
      EXAMPLE,
      prefix,
      (text) => text.replaceAll("https://gitlab.example.com", gitlab.url),
    );
    await Deno.chmod(prefix, 0o700);
    await Deno.writeTextFile(
      `${prefix}/secrets/gitlab.example.com.pat`,
      `${gitlab.tokens.adminPat}\n`,
      {
        mode: 0o600,
      },
    );

    await run(prefix, "first start: registers the three executors");
    console.log(`\n${bold(`$ cat ${prefix}/config.main.toml`)}   # tokens masked for the demo`);
    console.log(maskTokens(await Deno.readTextFile(`${prefix}/config.main.toml`)));

    const before = gitlab.mutations().length;
    await run(prefix, "restart: nothing to change");
    console.log(`GitLab mutations during the restart: ${gitlab.mutations().length - before}`);

    await Deno.remove(`${prefix}/main/docker.toml`);
    await run(prefix, "docker.toml removed: its runner is deleted");

    console.log(`\n${bold("runners in the fake GitLab now:")}`);
    for (const r of gitlab.runners()) {
      console.log(`  #${r.id}  ${r.description}  [${r.tag_list.join(", ")}]`);
    }
  } finally {
    await gitlab.close();
    await Deno.remove(prefix, { recursive: true });
  }
}

if (import.meta.main) await main();
