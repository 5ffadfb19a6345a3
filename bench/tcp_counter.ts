/**
 * A loopback TCP relay that counts the connections clients open through it. Put it between
 * register-runner and the fake GitLab to see whether HTTP keep-alive reuses connections: a sync
 * with many requests should open at most `--concurrency` connections per GitLab.
 *
 * @module
 */

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  try {
    await from.readable.pipeTo(to.writable, { preventClose: true });
  } catch {
    // one side closed
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Relays `127.0.0.1:port` to `127.0.0.1:targetPort`, counting accepted connections. */
export class ConnectionCounter implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #open = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  #accepted = 0;
  #peak = 0;

  /** Starts listening on a free loopback port and relaying to `targetPort`. */
  constructor(targetPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#targetPort = targetPort;
    this.#loop = this.#accept();
  }

  /** `http://127.0.0.1:PORT`: the URL clients should use. */
  get url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}`;
  }

  /** Connections accepted since start (or the last {@link reset}). */
  get accepted(): number {
    return this.#accepted;
  }

  /** Most client connections open at once since start (or the last {@link reset}). */
  get peak(): number {
    return this.#peak;
  }

  /** Zeroes the counters (open connections stay open). */
  reset(): void {
    this.#accepted = 0;
    this.#peak = this.#open.size / 2;
  }

  /** Stops listening, closes every relayed connection and waits for the relay tasks. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#open) closeQuietly(conn);
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        this.#accepted++;
        const task = this.#relay(client).finally(() => this.#tasks.delete(task));
        this.#tasks.add(task);
      }
    } catch {
      // listener closed
    }
  }

  async #relay(client: Deno.Conn): Promise<void> {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
    } catch {
      closeQuietly(client);
      return;
    }
    this.#open.add(client).add(upstream);
    this.#peak = Math.max(this.#peak, this.#open.size / 2);
    const pumps = [pump(client, upstream), pump(upstream, client)];
    await Promise.race(pumps);
    this.#open.delete(client);
    this.#open.delete(upstream);
    closeQuietly(client);
    closeQuietly(upstream);
    await Promise.all(pumps);
  }
}
