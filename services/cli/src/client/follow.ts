import type { TypedDocumentString } from '../generated/graphql.ts';
import { type Credentials, unauthenticated } from './credentials.ts';
import type { GraphQLErrorShape } from './graphql-client.ts';

/** graphql-ws `Forbidden`: the gateway refused the credential in `connection_init`. */
const CLOSE_FORBIDDEN = 4403;

export interface FollowOptions {
  signal: AbortSignal;
  /** Called after the socket came back; the subscription is sent again and answers the run's state first. */
  onReconnect?: () => void;
}

/**
 * A graphql-ws subscription through the gateway that survives the gateway going away: the socket
 * reconnects with backoff (0.25 s doubling to 2 s, with jitter) and subscribes again; Assay's run
 * subscriptions send the current state first, so nothing between the two sockets is missed for
 * good. Resolves when the server completes the subscription (the run reached a terminal state) or
 * `signal` aborts; rejects with the server's errors, or when reconnecting fails for about a minute.
 * The API key goes in `connection_init` (`{ authorization: "Bearer …" }`); a socket closed 4403 (the
 * key refused) is not retried and rejects with the same `AuthError` a 401 gives.
 */
export async function follow<R, V extends Record<string, unknown>>(
  credentials: Credentials,
  document: TypedDocumentString<R, V>,
  variables: V,
  onData: (data: R) => void,
  options: FollowOptions,
): Promise<void> {
  // Loaded on use: `--help` and plain queries never pay for it.
  const { createClient } = await import('graphql-ws');
  const apiKey = credentials.apiKey;
  const client = createClient({
    url: credentials.url.replace(/^http/, 'ws'),
    lazy: true,
    connectionParams: () => (apiKey ? { authorization: apiKey.bearer() } : {}),
    retryAttempts: 30,
    // A refused key stays refused: say so now instead of reconnecting for a minute.
    shouldRetry: (event) => closeCode(event) !== CLOSE_FORBIDDEN,
    retryWait: async (retries) => {
      const ms = Math.min(250 * 2 ** retries, 2000);
      await new Promise((resolve) => setTimeout(resolve, ms / 2 + Math.random() * (ms / 2)));
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) options.onReconnect?.();
      },
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const unsubscribe = client.subscribe<R>(
        { query: document.toString(), variables },
        {
          next: (result) => {
            if (result.errors?.length) reject(new FollowError(result.errors as GraphQLErrorShape[]));
            else if (result.data) onData(result.data);
          },
          error: (error) =>
            reject(
              closeCode(error) === CLOSE_FORBIDDEN
                ? unauthenticated(credentials, 'the subscription socket was closed 4403 Forbidden')
                : error instanceof Error
                  ? error
                  : new FollowError(asErrors(error)),
            ),
          complete: resolve,
        },
      );
      options.signal.addEventListener(
        'abort',
        () => {
          unsubscribe();
          resolve();
        },
        { once: true },
      );
    });
  } finally {
    await client.dispose();
  }
}

export class FollowError extends Error {
  constructor(readonly errors: GraphQLErrorShape[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

function closeCode(event: unknown): number | undefined {
  const code = (event as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** graphql-ws hands over a close event or an error list; either becomes one message. */
function asErrors(error: unknown): GraphQLErrorShape[] {
  if (Array.isArray(error)) return error as GraphQLErrorShape[];
  const close = error as { code?: number; reason?: string };
  return [
    { message: close.code ? `socket closed (${close.code} ${close.reason ?? ''})`.trim() : String(error) },
  ];
}
