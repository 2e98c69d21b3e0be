import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * What the fake does with the next `POST /v1/responses`. Every behaviour can be delayed by `delayMs`
 * (the request is recorded on arrival, the answer goes out after the delay).
 */
export type FakeOpenAIBehaviour = {
  delayMs?: number;
} /** A completed response whose output text is `JSON.stringify(output)`. */ & (
  | { kind: 'json'; output: unknown }
  /** A completed response with this exact output text, e.g. malformed JSON. */
  | { kind: 'text'; text: string }
  /** An HTTP error with an OpenAI-style body; `retryAfter` is sent as is in `retry-after`. */
  | {
      kind: 'error';
      status: number;
      message?: string;
      type?: string;
      code?: string | null;
      retryAfter?: number | string;
      headers?: Record<string, string>;
    }
  /** Never answers; the request stays open until the client gives up or the fake closes. */
  | { kind: 'hang' }
  /** Reads the request, then destroys the socket: the client sees a connection reset. */
  | { kind: 'reset' }
  /** Status `incomplete` with a truncated output text. */
  | { kind: 'incomplete'; reason?: 'max_output_tokens' | 'content_filter'; text?: string }
  /** A completed response whose message is a refusal instead of output text. */
  | { kind: 'refusal'; refusal?: string }
);

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased names; `authorization` is never recorded. */
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** `performance.now()` when the whole body had arrived. */
  receivedAt: number;
}

type Handler = (request: RecordedRequest) => FakeOpenAIBehaviour;

/** Loud on purpose: a test that forgot to queue a behaviour sees it in the error and the request count. */
const NOTHING_QUEUED: Handler = () => ({
  kind: 'error',
  status: 500,
  message: 'FakeOpenAI: no behaviour queued for this request',
});

const DEFAULT_ERROR: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message:
      'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Forbidden.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again later.',
  },
  500: {
    type: 'server_error',
    code: 'server_error',
    message: 'The server had an error while processing your request.',
  },
  503: {
    type: 'server_error',
    code: 'server_overloaded',
    message: 'The server is overloaded or not ready yet.',
  },
};

/**
 * A local HTTP server that speaks the OpenAI Responses API (`POST /v1/responses`, non-streaming)
 * and injects faults, so clients are tested over a real socket with the real SDK.
 * Behaviours are taken from the queue first, then from the default handler.
 */
export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeOpenAIBehaviour[] = [];
  private handler = NOTHING_QUEUED;
  private readonly open = new Set<ServerResponse>();
  private readonly arrivals = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:41234/v1`. */
    readonly url: string,
  ) {}

  static async start(): Promise<FakeOpenAI> {
    let fake: FakeOpenAI | undefined;
    const server = createServer((req, res) => {
      fake!.serve(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('fake OpenAI did not bind');
    fake = new FakeOpenAI(server, `http://127.0.0.1:${address.port}/v1`);
    return fake;
  }

  /** Behaviours for the next requests, in order. */
  enqueue(...behaviours: FakeOpenAIBehaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** What to do once the queue is empty (by default: a 500 that names the missing behaviour). */
  otherwise(behaviour: FakeOpenAIBehaviour | Handler): this {
    this.handler = typeof behaviour === 'function' ? behaviour : () => behaviour;
    return this;
  }

  /** Forgets queued behaviours, the default handler and recorded requests (between tests). */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.handler = NOTHING_QUEUED;
  }

  /** Resolves once `count` requests have been recorded in total. */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<RecordedRequest[]> {
    const deadline = performance.now() + timeoutMs;
    while (this.requests.length < count) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`FakeOpenAI: ${this.requests.length} of ${count} requests arrived`);
      let wake = () => {};
      const timer = setTimeout(() => wake(), left);
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.arrivals.add(resolve);
      });
      clearTimeout(timer);
      this.arrivals.delete(wake);
    }
    return this.requests.slice(0, count);
  }

  /** Requests still waiting for an answer (a `hang`); one drops out when its client gives up. */
  get openRequests(): number {
    return this.open.size;
  }

  /** Stops listening and cuts every connection, hanging requests included. */
  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    const text = await readBody(req).catch(() => null);
    if (text === null) return; // the client went away mid-body
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: recordableHeaders(req),
      body: parseOrText(text),
      receivedAt: performance.now(),
    };
    this.requests.push(recorded);
    for (const wake of this.arrivals) wake();

    if (req.method !== 'POST' || path !== '/v1/responses') {
      sendError(res, 404, {
        type: 'invalid_request_error',
        code: null,
        message: `Invalid URL (${recorded.method} ${path})`,
      });
      return;
    }
    if (typeof recorded.body !== 'object' || recorded.body === null) {
      sendError(res, 400, {
        type: 'invalid_request_error',
        code: null,
        message: 'We could not parse the JSON body of your request.',
      });
      return;
    }
    const behaviour = this.queue.shift() ?? this.handler(recorded);
    // Unref'd: a delayed answer to a client that is gone must not keep the test process alive.
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs).unref());
    if (res.destroyed) return;
    this.act(behaviour, recorded.body as Record<string, unknown>, req, res);
  }

  private act(
    behaviour: FakeOpenAIBehaviour,
    body: Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    switch (behaviour.kind) {
      case 'json':
        sendJson(res, 200, responseObject(body, 'completed', [outputText(JSON.stringify(behaviour.output))]));
        return;
      case 'text':
        sendJson(res, 200, responseObject(body, 'completed', [outputText(behaviour.text)]));
        return;
      case 'incomplete':
        sendJson(
          res,
          200,
          responseObject(body, 'incomplete', [outputText(behaviour.text ?? '{"value": 7.5, "criteria": [')], {
            reason: behaviour.reason ?? 'max_output_tokens',
          }),
        );
        return;
      case 'refusal':
        sendJson(
          res,
          200,
          responseObject(body, 'completed', [
            { type: 'refusal', refusal: behaviour.refusal ?? "I'm sorry, I can't help with that." },
          ]),
        );
        return;
      case 'error': {
        const defaults = DEFAULT_ERROR[behaviour.status] ?? DEFAULT_ERROR[500]!;
        const headers = { ...behaviour.headers };
        if (behaviour.retryAfter !== undefined) headers['retry-after'] = String(behaviour.retryAfter);
        sendError(
          res,
          behaviour.status,
          {
            type: behaviour.type ?? defaults.type,
            code: behaviour.code === undefined ? defaults.code : behaviour.code,
            message: behaviour.message ?? defaults.message,
          },
          headers,
        );
        return;
      }
      case 'hang':
        return; // `open` keeps the response so close() can end it
      case 'reset':
        req.socket.destroy();
        return;
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function recordableHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'authorization' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/**
 * The wire shape of a Responses API answer. `output_text` is deliberately absent: the real API
 * does not send it, the SDK derives it from `output`.
 */
function responseObject(
  request: Record<string, unknown>,
  status: 'completed' | 'incomplete',
  content: object[],
  incompleteDetails: { reason: string } | null = null,
) {
  const text = content.map((part) => ('text' in part ? String(part.text) : '')).join('');
  const inputTokens = Math.ceil(JSON.stringify(request.input ?? '').length / 4);
  const outputTokens = Math.ceil(text.length / 4);
  return {
    id: id('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: incompleteDetails,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model ?? 'gpt-5-mini',
    output: [{ type: 'message', id: id('msg'), status, role: 'assistant', content }],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
    user: null,
    metadata: request.metadata ?? {},
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': id('req'),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  status: number,
  error: { type: string; code: string | null; message: string },
  headers: Record<string, string> = {},
) {
  sendJson(
    res,
    status,
    { error: { message: error.message, type: error.type, param: null, code: error.code } },
    headers,
  );
}
