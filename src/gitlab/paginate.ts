/**
 * Reads every page of a GitLab listing. When page 1 tells the page count (`x-total-pages`) the
 * other pages are fetched concurrently (bounded by the requester's pool); otherwise, or after
 * those, `Link rel="next"` is followed, else `x-next-page`, until both are empty or a page is
 * empty. Only the query of a next link is used: requests always go to the configured GitLab.
 * An `onPage` callback sees each page as soon as it arrives, so callers can start follow-up
 * requests (e.g. runner details) without waiting for the last page.
 *
 * @module
 */

import { parseJson } from "./errors.ts";
import type { Reply, Requester, RequestSpec } from "./request.ts";

/** One page: GitLab's reply and its JSON array. */
export interface Page {
  reply: Reply;
  items: unknown[];
}

/** A bound on the pages read, against a GitLab that keeps pointing further. */
export const MAX_PAGES = 10_000;

/** Options of {@link listAllPages}. */
export interface ListOptions {
  /**
   * Called with each page as it arrives (arrival order, which may differ from page order when
   * pages are fetched concurrently). A throwing callback fails the listing.
   */
  onPage?: ((page: Page) => void) | undefined;
}

/** Every page of `spec` (a GET) with `query`, in page order. */
export async function listAllPages(
  req: Requester,
  spec: RequestSpec,
  query: Record<string, string>,
  options: ListOptions = {},
): Promise<Page[]> {
  const fetchPage = async (q: URLSearchParams): Promise<Page> => {
    const reply = await req.send({ ...spec, query: q });
    const items = parseJson(reply.text);
    if (!Array.isArray(items)) throw req.unexpected(spec, reply, "not a JSON array");
    const page = { reply, items };
    options.onPage?.(page);
    return page;
  };
  let lastQuery = withPage(new URLSearchParams(query), 1);
  let last = await fetchPage(lastQuery);
  const pages = [last];
  const seen = new Set([lastQuery.toString()]);
  if (last.items.length === 0) return pages;

  const total = positiveInt(last.reply.headers.get("x-total-pages"));
  if (total !== undefined && total > 1) {
    const numbers = Array.from({ length: Math.min(total, MAX_PAGES) - 1 }, (_, i) => i + 2);
    const queries = numbers.map((n) => withPage(lastQuery, n));
    pages.push(...await Promise.all(queries.map(fetchPage)));
    for (const q of queries) seen.add(q.toString());
    lastQuery = queries.at(-1) ?? lastQuery;
    last = pages.at(-1) ?? last;
  }
  while (last.items.length > 0) {
    const next = nextQuery(last.reply.headers, lastQuery);
    if (!next || seen.has(next.toString()) || seen.size >= MAX_PAGES) break;
    seen.add(next.toString());
    lastQuery = next;
    last = await fetchPage(next);
    pages.push(last);
  }
  return pages;
}

function withPage(query: URLSearchParams, page: number): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set("page", String(page));
  return copy;
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/** The query of the next page: `Link rel="next"`'s, else the current one with `x-next-page`. */
export function nextQuery(headers: Headers, current: URLSearchParams): URLSearchParams | undefined {
  const link = nextLink(headers.get("link"));
  if (link !== undefined) {
    try {
      const params = new URL(link).searchParams;
      if (params.size > 0) return params;
    } catch {
      // An unparsable link: fall back to x-next-page.
    }
  }
  const page = positiveInt(headers.get("x-next-page"));
  return page === undefined ? undefined : withPage(current, page);
}

/** The `rel="next"` URL of a `Link` header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";,]*)"?/i.exec(match[2] ?? "")?.[1];
    if (rel?.split(/\s+/).includes("next")) return match[1];
  }
  return undefined;
}
