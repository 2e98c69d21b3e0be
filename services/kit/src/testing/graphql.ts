import { credentialsFor } from './credentials.ts';

/** A GraphQL-over-HTTP call as a client makes it; returns the parsed body and the status. */
// biome-ignore lint/suspicious/noExplicitAny: tests read responses by path; assertions check the shape
export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

// biome-ignore lint/suspicious/noExplicitAny: as above
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: withCredentials(url, headers),
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The default credentials for `url` unless the test chose its own (an empty value sends none). */
function withCredentials(url: string, headers: Record<string, string>): Record<string, string> {
  const own = Object.keys(headers).some((h) =>
    ['authorization', 'x-assay-context'].includes(h.toLowerCase()),
  );
  const merged = { 'content-type': 'application/json', ...(own ? {} : credentialsFor(url)), ...headers };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
}
