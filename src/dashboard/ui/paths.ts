/**
 * Where the dashboard lives: the base path the server put in `<meta name="pgpulse-base">` ('' at
 * the root, e.g. '/admin/queues' when mounted), and the page and API addresses under it. Every
 * `href` of the UI comes from here, built from ids and names the API gave, URL-encoded: never
 * from payload data.
 */

function readBase(): string {
  const meta = document.querySelector('meta[name="pgpulse-base"]');
  return (meta?.getAttribute('content') ?? '').replace(/\/+$/, '');
}

/** The base path, without a trailing slash ('' at the root). */
export const base = readBase();

/** Query parameters; undefined, null and '' ones are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

function withQuery(path: string, query?: Query): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}

/** A page of the dashboard: `path` starts with '/'. */
export function pageHref(path: string, query?: Query): string {
  return withQuery(`${base}${path}`, query);
}

/** An API address: `path` starts with '/' (e.g. '/overview'). */
export function apiUrl(path: string, query?: Query): string {
  return withQuery(`${base}/api${path}`, query);
}

/** Page addresses by what they show. */
export const links = {
  overview: () => pageHref('/'),
  queue: (name: string, query?: Query) => pageHref(`/queues/${encodeURIComponent(name)}`, query),
  job: (id: string) => pageHref(`/jobs/${encodeURIComponent(id)}`),
  dead: (query?: Query) => pageHref('/dead', query),
  schedules: () => pageHref('/schedules'),
  flows: (query?: Query) => pageHref('/flows', query),
  flow: (id: string) => pageHref(`/flows/${encodeURIComponent(id)}`),
  workers: () => pageHref('/workers'),
  search: (q: string) => pageHref('/search', { q }),
};

/** The route patterns, under the base path. */
export const routes = {
  overview: `${base}/`,
  queue: `${base}/queues/:name`,
  job: `${base}/jobs/:id`,
  dead: `${base}/dead`,
  schedules: `${base}/schedules`,
  flows: `${base}/flows`,
  flow: `${base}/flows/:id`,
  workers: `${base}/workers`,
  search: `${base}/search`,
};
