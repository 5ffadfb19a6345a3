/**
 * config.toml keeps its owner, and says so when it cannot: a sync run as root without CAP_CHOWN
 * (what `SystemCallFilter=~@privileged` without `@chown` did to the sync unit) writes the file
 * anyway and warns, naming the file and both owners, instead of silently handing a non-root
 * gitlab-runner's config to root.
 *
 * Needs root and setpriv (util-linux), which drops CAP_CHOWN from the bounding set.
 */

import { equal, match } from "node:assert/strict";
import { DENO_RUN_CLI, runCli } from "./support/cli.ts";
import { expectOk, withSetup, writeExecutor, writeSite } from "./support/e2e.ts";

const IS_ROOT = await (async () => {
  const probe = await Deno.makeTempFile();
  try {
    return (await Deno.stat(probe)).uid === 0;
  } finally {
    await Deno.remove(probe);
  }
})();
const HAS_SETPRIV = (await new Deno.Command("sh", {
  args: ["-c", "command -v setpriv"],
  stdout: "null",
}).output()).success;

Deno.test({
  name: "sync without CAP_CHOWN: config.toml is written, and its lost owner is a warning",
  ignore: !IS_ROOT || !HAS_SETPRIV,
  fn: async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, ["shell"]);
      expectOk(await runCli(prefix), gitlab);
      await Deno.chown(prefix.outputFile, 4242, 4343);
      await writeExecutor(gitlab, prefix, "cpu"); // a change, so the file is written again
      const noChown = ["setpriv", "--bounding-set=-chown", "--inh-caps=-chown", ...DENO_RUN_CLI];
      const result = await runCli(prefix, [], {}, { command: noChown });
      expectOk(result, gitlab);
      match(result.stderr, /warn/i);
      match(result.stderr, /is now owned by uid 0 gid 0, not uid 4242 gid 4343/);
      equal((await Deno.stat(prefix.outputFile)).uid, 0);
      // With CAP_CHOWN the owner is kept (and nothing is said).
      await Deno.chown(prefix.outputFile, 4242, 4343);
      await writeExecutor(gitlab, prefix, "gpu");
      const kept = await runCli(prefix);
      expectOk(kept, gitlab);
      equal(/now owned by/.test(kept.stderr), false, kept.stderr);
      equal((await Deno.stat(prefix.outputFile)).uid, 4242);
    });
  },
});
