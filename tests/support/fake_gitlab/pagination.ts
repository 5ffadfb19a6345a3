/**
 * GitLab's offset pagination: `page`/`per_page` and the `Link`, `x-page`, `x-per-page`,
 * `x-next-page`, `x-prev-page`, `x-total`, `x-total-pages` headers (GitLab `lib/api/helpers/pagination.rb` via `use :pagination` in `lib/api/ci/runners.rb`).
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import { optInt } from "./params.ts";

/** Above this many rows GitLab omits `x-total`, `x-total-pages` and `rel="last"`. */
export const COUNT_LIMIT = 10_000;

/** One page of `items` and the headers describing it. Throws `GrapeError` on a bad `page`. */
export function paginate<T>(
  items: readonly T[],
  ctx: RequestContext,
): { page: T[]; headers: Headers } {
  const { defaultPerPage, maxPerPage, omitTotals } = ctx.options;
  const requestedPage = optInt(ctx.params, "page") ?? 1;
  const requestedPerPage = optInt(ctx.params, "per_page") ?? defaultPerPage;
  const page = Math.max(1, requestedPage);
  const perPage = requestedPerPage < 1 ? defaultPerPage : Math.min(requestedPerPage, maxPerPage);
  const start = (page - 1) * perPage;
  const slice = items.slice(start, start + perPage);
  const hasNext = items.length > start + perPage;
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const withTotals = !omitTotals && items.length <= COUNT_LIMIT;

  const link = (target: number) => {
    const url = new URL(ctx.url);
    url.searchParams.set("page", String(target));
    url.searchParams.set("per_page", String(perPage));
    return url.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (hasNext) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`);
  if (withTotals) links.push(`<${link(totalPages)}>; rel="last"`);

  const headers = new Headers({
    "link": links.join(", "),
    "x-page": String(page),
    "x-per-page": String(perPage),
    "x-next-page": hasNext ? String(page + 1) : "",
    "x-prev-page": page > 1 ? String(page - 1) : "",
  });
  if (withTotals) {
    headers.set("x-total", String(items.length));
    headers.set("x-total-pages", String(totalPages));
  }
  return { page: slice, headers };
}
