/**
 * End-to-end: custom certificate authorities (`ca_file`) and proxies (`HTTPS_PROXY`/`NO_PROXY`).
 * A fake GitLab serves HTTPS on loopback with a certificate signed by a CA generated here with
 * `openssl`; a tiny CONNECT proxy on loopback counts the tunnels the CLI opens through it.
 */

import { equal, match, ok } from "node:assert/strict";
import { type FakeGitLab, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { HOST, runCli } from "./support/cli.ts";
import { assertNoSecrets } from "./support/e2e.ts";
import { Prefix } from "./support/prefix.ts";

/** A CA and a server certificate for 127.0.0.1, as PEM. */
interface TestPki {
  caFile: string;
  cert: string;
  key: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function hasOpenssl(): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

async function makePki(dir: string): Promise<TestPki> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=register-runner tls_test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  await openssl(dir, "req", ...ec, "-keyout", "s.key", "-out", "s.csr", "-subj", "/CN=127.0.0.1");
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "s.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  await openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", "s.key", "-out", "server.key");
  await Deno.chmod(`${dir}/ca.pem`, 0o644);
  return {
    caFile: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/server.pem`),
    key: await Deno.readTextFile(`${dir}/server.key`),
  };
}

const canTest = await hasOpenssl();
if (!canTest) {
  console.log("tls_test: SKIPPED, openssl is not installed (needed to generate a test CA)");
}

/** A loopback HTTP CONNECT proxy that relays bytes and records each tunnel's target. */
class ConnectProxy {
  readonly tunnels: string[] = [];
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor() {
    this.#loop = this.#accept();
  }

  get url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}`;
  }

  async close(): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await this.#loop;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#tunnel(conn);
    } catch { /* listener closed */ }
  }

  async #tunnel(conn: Deno.Conn): Promise<void> {
    this.#conns.add(conn);
    try {
      const buffer = new Uint8Array(8192);
      const n = await conn.read(buffer);
      const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      const target = /^CONNECT (127\.0\.0\.1|localhost):(\d+) HTTP/.exec(head);
      if (!target) {
        await conn.write(new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\n\r\n"));
        return;
      }
      this.tunnels.push(`${target[1]}:${target[2]}`);
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: Number(target[2]) });
      this.#conns.add(upstream);
      await conn.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
      await Promise.race([
        conn.readable.pipeTo(upstream.writable).catch(() => {}),
        upstream.readable.pipeTo(conn.writable).catch(() => {}),
      ]);
    } catch {
      // a side closed
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }
}

/** Runs `body` with an HTTPS fake GitLab and a prefix whose template may name `ca_file`. */
async function withTls(
  withCaFile: boolean,
  body: (gitlab: FakeGitLab, prefix: Prefix) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "register-runner-pki-" });
  const pki = await makePki(dir);
  const gitlab = await startFakeGitLab({ tls: { cert: pki.cert, key: pki.key } });
  const prefix = await Prefix.create();
  try {
    const ca = withCaFile ? `ca_file = ${JSON.stringify(pki.caFile)}\n` : "";
    await prefix.writeFile(
      "config.template.main.toml",
      `concurrent = 1\n\n[[client_configs]]\nurl = "${gitlab.url}"\npersonal_access_token = "${gitlab.tokens.adminPat}"\n${ca}`,
    );
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await body(gitlab, prefix);
  } finally {
    await gitlab.close();
    await prefix.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

const NO_PROXY_ENV = { HTTPS_PROXY: "", https_proxy: "", NO_PROXY: "", no_proxy: "" };

function secrets(gitlab: FakeGitLab): string[] {
  return [gitlab.tokens.adminPat, ...gitlab.runners().map((r) => r.token)];
}

Deno.test({
  name: "ca_file: the CLI trusts an internal CA for an HTTPS GitLab",
  ignore: !canTest,
  fn: async () => {
    await withTls(true, async (gitlab, prefix) => {
      ok(gitlab.url.startsWith("https://127.0.0.1:"));
      const result = await runCli(prefix, [], NO_PROXY_ENV);
      equal(result.code, 0, result.stderr);
      equal(
        gitlab.runners().filter((r) => r.description === `${HOST} main shell Runner`).length,
        1,
      );
      match((await prefix.readOutput())!, /url = "https:\/\/127\.0\.0\.1:/);
      assertNoSecrets(result.stdout + result.stderr, secrets(gitlab));
    });
  },
});

Deno.test({
  name: "no ca_file: an untrusted certificate fails clearly (exit 5, names ca_file)",
  ignore: !canTest,
  fn: async () => {
    await withTls(false, async (gitlab, prefix) => {
      const result = await runCli(prefix, [], NO_PROXY_ENV);
      equal(result.code, 5, result.stderr);
      match(result.stderr, /certificate/i);
      match(result.stderr, /fix: .*ca_file/);
      equal(await prefix.readOutput(), undefined, "no config written");
      equal(gitlab.requests.length, 0, "no request got through the TLS handshake");
    });
  },
});

Deno.test({
  name: "HTTPS_PROXY: requests go through the CONNECT proxy; NO_PROXY bypasses it",
  ignore: !canTest,
  fn: async () => {
    await withTls(true, async (gitlab, prefix) => {
      const proxy = new ConnectProxy();
      try {
        const port = new URL(gitlab.url).port;
        const viaProxy = await runCli(prefix, [], { ...NO_PROXY_ENV, HTTPS_PROXY: proxy.url });
        equal(viaProxy.code, 0, viaProxy.stderr);
        ok(proxy.tunnels.length > 0, "at least one tunnel");
        ok(proxy.tunnels.every((t) => t === `127.0.0.1:${port}`), proxy.tunnels.join(" "));
        ok(gitlab.requests.length > 0);

        const seen = proxy.tunnels.length;
        const requests = gitlab.requests.length;
        const bypass = await runCli(prefix, ["plan"], {
          ...NO_PROXY_ENV,
          HTTPS_PROXY: proxy.url,
          NO_PROXY: "127.0.0.1",
        });
        equal(bypass.code, 0, bypass.stderr);
        equal(proxy.tunnels.length, seen, "no tunnel when NO_PROXY matches");
        ok(gitlab.requests.length > requests, "GitLab was reached directly");
      } finally {
        await proxy.close();
      }
    });
  },
});
