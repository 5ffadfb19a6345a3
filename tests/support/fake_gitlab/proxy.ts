/**
 * A loopback TCP relay in front of the `Deno.serve` server. `Deno.serve` cannot drop a
 * connection without sending a response, so clients connect here, every connection is relayed
 * byte for byte, and {@link DropRelay.drop} closes one connection mid-request: the client's
 * `fetch` then rejects, like a real lost reply.
 *
 * The upstream socket's local port is what the server sees as `info.remoteAddr.port`, which is
 * how a request handler names its connection.
 *
 * @module
 */

interface Pair {
  client: Deno.TcpConn;
  upstream: Deno.TcpConn;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) return;
      let offset = 0;
      while (offset < n) offset += await to.write(buffer.subarray(offset, n));
    }
  } catch {
    // the other side closed, or we dropped the connection
  }
}

/** Counts of the client connections a relay accepted: shows whether clients reuse them. */
export class ConnectionStats {
  /** Connections accepted since start (or the last {@link reset}). */
  accepted = 0;
  /** Most connections open at once since start (or the last reset). */
  peak = 0;
  readonly #open: () => number;

  /** `open` tells how many connections are open now. */
  constructor(open: () => number) {
    this.#open = open;
  }

  /** Zeroes the counts (open connections stay open; the peak restarts from them). */
  reset(): void {
    this.accepted = 0;
    this.peak = this.#open();
  }
}

/** Relays `127.0.0.1:port` to `127.0.0.1:upstreamPort()`. */
export class DropRelay {
  readonly #listener: Deno.TcpListener;
  readonly #upstreamPort: () => number;
  readonly #pairs = new Map<number, Pair>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #acceptLoop: Promise<void>;
  #closed = false;
  /** How many client connections were opened. */
  readonly connections: ConnectionStats = new ConnectionStats(() => this.#pairs.size);

  /** Listens on `127.0.0.1:port` (0 = any free port); `upstreamPort` is read per connection. */
  constructor(port: number, upstreamPort: () => number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port, transport: "tcp" });
    this.#upstreamPort = upstreamPort;
    this.#acceptLoop = this.#accept();
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Closes the connection whose upstream side has local port `upstreamPort`. */
  drop(upstreamPort: number): boolean {
    const pair = this.#pairs.get(upstreamPort);
    if (pair === undefined) return false;
    this.#pairs.delete(upstreamPort);
    closeQuietly(pair.client);
    closeQuietly(pair.upstream);
    return true;
  }

  /** Closes every connection for which `busy(upstreamPort)` is false (idle keep-alive ones). */
  closeIdle(busy: (upstreamPort: number) => boolean): void {
    for (const key of [...this.#pairs.keys()]) if (!busy(key)) this.drop(key);
  }

  /** Stops accepting, closes every connection and waits for the relay tasks to end. */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const key of [...this.#pairs.keys()]) this.drop(key);
    await this.#acceptLoop;
    await Promise.all(this.#tasks);
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        this.connections.accepted++;
        const task = this.#relay(client).finally(() => this.#tasks.delete(task));
        this.#tasks.add(task);
      }
    } catch {
      // listener closed
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.#upstreamPort() });
    } catch {
      closeQuietly(client);
      return;
    }
    if (this.#closed) {
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    const key = upstream.localAddr.port;
    this.#pairs.set(key, { client, upstream });
    this.connections.peak = Math.max(this.connections.peak, this.#pairs.size);
    const pumps = [pump(client, upstream), pump(upstream, client)];
    await Promise.race(pumps);
    if (this.#pairs.get(key)?.client === client) this.#pairs.delete(key);
    closeQuietly(client);
    closeQuietly(upstream);
    await Promise.all(pumps);
  }
}
