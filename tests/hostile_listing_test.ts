/**
 * End-to-end, hostile GitLab: a listing that raced an edit made in the UI. The listing shows
 * runners with this host's description and tags, while their details (read after the edit) show
 * another host's. Ownership is re-checked on the details, so such a runner is never updated,
 * reset or deleted. (Fake mode: `FakeGitLab.setStaleListing`.)
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { HOST, runCli } from "./support/cli.ts";
import { expectOk, withSetup } from "./support/e2e.ts";

Deno.test("a listed runner whose details show another host's description or tags is never touched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const shown = (executor: string) => ({
      description: `${HOST} main ${executor} Runner`,
      tag_list: [HOST, "main", executor],
    });
    // Moved to node8 entirely (description and tags) after the listing was read.
    const moved = gitlab.addRunner({
      description: "node8 main shell Runner",
      tag_list: ["node8", "main", "shell"],
    });
    gitlab.setStaleListing(moved.id, shown("shell"));
    // Only its tags now say node8; the description still reads as this host's.
    const retagged = gitlab.addRunner({
      description: `${HOST} main shell Runner`,
      tag_list: ["node8", "main", "shell"],
    });
    gitlab.setStaleListing(retagged.id, shown("shell"));
    // Only its description now says node8; the tags still are this host's.
    const renamed = gitlab.addRunner({
      description: "node8 main docker Runner",
      tag_list: [HOST, "main", "docker"],
    });
    gitlab.setStaleListing(renamed.id, shown("docker"));
    const foreign = [moved, retagged, renamed];

    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await prefix.writeExecutor(
      "docker",
      `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\nimage = "alpine:3"\n`,
    );
    // First run: each executor wants a runner that the listing claims exists.
    expectOk(await runCli(prefix), gitlab);
    // Second run with no executor files: every runner the tool believes it owns would go.
    await prefix.removeExecutor("shell");
    await prefix.removeExecutor("docker");
    expectOk(await runCli(prefix, ["--allow-empty"]), gitlab);

    // The listing did show them (otherwise this test proves nothing).
    ok(
      gitlab.requests.some((r) => r.path === `/runners/${moved.id}` && r.method === "GET"),
      "the details of a stale-listed runner were read",
    );
    for (const f of foreign) {
      const touching = gitlab.requests.filter((r) =>
        r.path.startsWith(`/runners/${f.id}`) && r.method !== "GET"
      ).map((r) => `${r.method} ${r.path}`);
      deepEqual(touching, [], `${f.description} (${f.id}) was sent ${touching.join(", ")}`);
      const now = gitlab.runner(f.id);
      ok(now, `runner ${f.description} still exists`);
      equal(now.description, f.description);
      deepEqual(now.tag_list, f.tag_list);
      equal(now.token, f.token, `runner ${f.description} keeps its token`);
    }
  });
});
