/**
 * Reads every page of a GitLab listing. When page 1's headers tell a plausible page count
 * (`x-total-pages` equal to `ceil(x-total / x-per-page)`, and page 1 full) the other pages are
 * fetched concurrently (bounded by the requester's pool); otherwise, or after those,
 * `Link rel="next"` is followed, else `x-next-page`, until both are empty or a page is empty.
 * Headers may lie either way, so a page whose own `x-total`/`x-per-page` say it is past the last
 * one while it still points further fails the listing, and the requester's deadline (`--timeout`)
 * bounds an endless listing whatever the headers say. Only the query of a next link is used:
 * requests always go to the configured GitLab.
 * An `onPage` callback sees each page as soon as it arrives, so callers can start follow-up
 * requests (e.g. runner details) without waiting for the last page.
 *
 * @module
 */

import { GitLabApiError, GitLabUnreachableError } from "../kernel/errors.ts";
import { parseJson } from "./errors.ts";
import type { Reply, Requester, RequestSpec } from "./request.ts";

/** One page: GitLab's reply and its JSON array. */
export interface Page {
  reply: Reply;
  items: unknown[];
}

/** The most pages fetched concurrently from page 1's headers; further ones follow the links. */
export const MAX_PARALLEL_PAGES = 500;

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

  const total = plausiblePageCount(last);
  if (total !== undefined && total > 1) {
    const numbers = Array.from(
      { length: Math.min(total, MAX_PARALLEL_PAGES) - 1 },
      (_, i) => i + 2,
    );
    const queries = numbers.map((n) => withPage(lastQuery, n));
    pages.push(...await Promise.all(queries.map(fetchPage)));
    for (const q of queries) seen.add(q.toString());
    lastQuery = queries.at(-1) ?? lastQuery;
    last = pages.at(-1) ?? last;
  }
  while (last.items.length > 0) {
    const next = nextQuery(last.reply.headers, lastQuery);
    if (!next || seen.has(next.toString())) break;
    const bound = pageCountOf(last.reply.headers);
    if (bound !== undefined && pages.length >= bound) {
      throw new GitLabApiError(
        req.facts(spec),
        last.reply.status,
        `page ${pages.length} of the listing says it holds ${bound} page(s) ` +
          `(x-total / x-per-page) yet links to a further page`,
        last.reply.requestId,
        { hint: "the replies do not look like GitLab's: check the url (a proxy in between?)" },
      );
    }
    seen.add(next.toString());
    lastQuery = next;
    try {
      last = await fetchPage(next);
    } catch (error) {
      if (!(error instanceof GitLabUnreachableError)) throw error;
      const r = error.request;
      const reason = error.message.replace(
        `GitLab ${r.baseUrl} could not be reached for ${r.method} ${r.path}: `,
        "",
      );
      throw new GitLabUnreachableError(
        r,
        `${pages.length} pages read and the listing still pointed further when this failed: ` +
          reason,
        error.lastStatus,
        {
          hint: "a GitLab listing this long is implausible; if the run timed out, check the url " +
            "or raise --timeout",
          cause: error,
        },
      );
    }
    pages.push(last);
  }
  return pages;
}

/**
 * `ceil(x-total / x-per-page)` when both are present (GitLab omits them above 10 000 rows);
 * at least 1.
 */
function pageCountOf(headers: Headers): number | undefined {
  const total = nonNegativeInt(headers.get("x-total"));
  const perPage = positiveInt(headers.get("x-per-page"));
  if (total === undefined || perPage === undefined) return undefined;
  return Math.max(1, Math.ceil(total / perPage));
}

/**
 * The page count to fetch concurrently after page 1: only when `x-total-pages` agrees with
 * `x-total` and `x-per-page` and page 1 is as full as that count implies.
 */
function plausiblePageCount(first: Page): number | undefined {
  const headers = first.reply.headers;
  const pages = positiveInt(headers.get("x-total-pages"));
  const computed = pageCountOf(headers);
  const perPage = positiveInt(headers.get("x-per-page"));
  if (pages === undefined || computed === undefined || perPage === undefined) return undefined;
  if (pages !== computed) return undefined;
  if (pages > 1 && first.items.length !== perPage) return undefined;
  return pages;
}

function nonNegativeInt(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
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
