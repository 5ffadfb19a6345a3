/**
 * The main scenarios against a real GitLab (`deno task test:live`): instance runners, with an
 * administrator's token. Configured by `REGISTER_RUNNER_LIVE_URL` and
 * `REGISTER_RUNNER_LIVE_TOKEN`; without them every test here is ignored and says why. Never run
 * in CI. Runs under a unique host name and deletes every runner carrying that host's tag when it
 * ends, passed or failed.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { Prefix } from "../support/prefix.ts";
import { sectionsOf } from "../support/e2e.ts";

const URL_VAR = "REGISTER_RUNNER_LIVE_URL";
const TOKEN_VAR = "REGISTER_RUNNER_LIVE_TOKEN";
const GROUP_VAR = "REGISTER_RUNNER_LIVE_GROUP";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

const url = env(URL_VAR)?.replace(/\/+$/, "");
const token = env(TOKEN_VAR);
const skipped = env("REGISTER_RUNNER_LIVE") !== "1"
  ? "run it with `deno task test:live` (it is not part of `deno task test` and never runs in CI)"
  : url === undefined || token === undefined
  ? `set ${URL_VAR} and ${TOKEN_VAR} (an administrator's token with api, plus admin_mode where Admin Mode is on) to run the live check`
  : undefined;
if (skipped !== undefined) console.log(`live check skipped: ${skipped}`);

/** A GitLab API call with the token. */
async function api(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/api/v4${path}`, {
    method,
    headers: { "PRIVATE-TOKEN": token! },
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body };
}

interface Listed {
  id: number;
  description: string;
}

/** Every instance runner carrying `host`'s tag, every page. */
async function runnersOf(host: string): Promise<Listed[]> {
  const all: Listed[] = [];
  for (let page = 1;; page++) {
    const reply = await api(
      "GET",
      `/runners/all?type=instance_type&tag_list=${
        encodeURIComponent(host)
      }&per_page=100&page=${page}`,
    );
    equal(reply.status, 200, `listing: ${JSON.stringify(reply.body)}`);
    const items = reply.body as Listed[];
    all.push(...items);
    if (items.length < 100) return all;
  }
}

Deno.test({
  name: "live: instance runners on a real GitLab (fresh, restart, lost config, drift, removed)",
  ignore: skipped !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const version = await api("GET", "/version");
    console.log(`live check against GitLab ${JSON.stringify(version.body)} at ${url}`);
    const host = `rr-live-${crypto.randomUUID().slice(0, 8)}`;
    const prefix = await Prefix.create();
    const run = () => runCli(prefix, [], { REGISTER_RUNNER_HOSTNAME: host });
    try {
      await prefix.writeTemplate([{ url: url!, personal_access_token: token! }]);
      await prefix.writeExecutor("shell", `url = "${url}"\nexecutor = "shell"\n`);
      await prefix.writeExecutor(
        "docker",
        `url = "${url}"\nexecutor = "docker"\ntags = ["gpu"]\n[docker]\nimage = "alpine:3"\n`,
      );
      const wanted = [`${host} main docker Runner`, `${host} main shell Runner`];
      const first = await run();
      equal(first.code, 0, first.stderr);
      deepEqual((await runnersOf(host)).map((r) => r.description).sort(), wanted);

      const before = await prefix.readOutput();
      const restart = await run();
      equal(restart.code, 0, restart.stderr);
      equal(await prefix.readOutput(), before, "restart: config unchanged");

      const ids = (await runnersOf(host)).map((r) => r.id).sort();
      await Deno.remove(prefix.outputFile);
      const recovered = await run();
      equal(recovered.code, 0, recovered.stderr);
      deepEqual((await runnersOf(host)).map((r) => r.id).sort(), ids, "recovered in place");

      const [docker] = (await runnersOf(host)).filter((r) => r.description.includes("docker"));
      const drift = await api("PUT", `/runners/${docker!.id}?locked=true`);
      equal(drift.status, 200);
      const fixed = await run();
      equal(fixed.code, 0, fixed.stderr);
      const details = await api("GET", `/runners/${docker!.id}`);
      equal((details.body as { locked: boolean }).locked, false, "drift fixed");

      await prefix.removeExecutor("docker");
      const removed = await run();
      equal(removed.code, 0, removed.stderr);
      deepEqual((await runnersOf(host)).map((r) => r.description), [`${host} main shell Runner`]);
      equal(sectionsOf(await prefix.readOutput()).length, 1);
    } finally {
      for (const r of await runnersOf(host).catch(() => [])) {
        const gone = await api("DELETE", `/runners/${r.id}`);
        ok(gone.status === 204 || gone.status === 404, `cleanup of runner ${r.id}`);
      }
      await prefix.cleanup();
    }
  },
});

if (skipped === undefined && env(GROUP_VAR) !== undefined) {
  console.log(
    `live check: ${GROUP_VAR} is set, but the live group-runner scenario is not written yet; skipped`,
  );
}
