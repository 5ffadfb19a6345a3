/**
 * Reading fetch's network errors: Deno reports them as `TypeError: fetch failed` with the real
 * reason in the cause chain, e.g. `client error (Connect): tcp connect error: Connection refused`.
 *
 * @module
 */

/** The most specific message in an error's cause chain. */
export function describe(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      messages.push(e.message);
      e = e.cause;
    } else {
      messages.push(String(e));
      break;
    }
  }
  return messages.at(-1) ?? "unknown network error";
}

/** True when the connection failed before any byte of the request was sent (refused, DNS, TLS). */
export function isConnectFailure(error: unknown, reason: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (e instanceof Deno.errors.ConnectionRefused) return true;
  }
  return /client error \(Connect\)|dns error|connection refused/i.test(reason);
}

/** True when the TLS handshake failed because the certificate is not trusted or does not match. */
export function isTlsFailure(reason: string): boolean {
  return /certificate|UnknownIssuer|CaUsedAsEndEntity|NotValidForName|tls handshake/i.test(reason);
}
