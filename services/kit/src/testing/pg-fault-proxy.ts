import { createServer, type Server, type Socket } from 'node:net';

/** One client connection through the proxy. */
interface ProxiedConnection {
  /** The client's `application_name`, once its startup message has passed. */
  applicationName: string | undefined;
  /** Set to stop forwarding in both directions while keeping both sockets open. */
  blackholed: boolean;
}

/**
 * A TCP proxy in front of PostgreSQL with faults a real network has:
 *
 * - It can lose a COMMIT's acknowledgement for real: it passes the COMMIT to the server, lets the
 *   server commit, and cuts the connection instead of forwarding the reply. The client sees a
 *   dropped connection and cannot know the commit happened.
 * - It can blackhole open connections: bytes stop flowing both ways but nothing is closed or reset,
 *   as when a network path drops packets. Only keepalives or timeouts of the client notice.
 */
export class PgFaultProxy {
  /** Commit acknowledgements still to lose. */
  private acksToLose = 0;
  lostAcks = 0;
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<ProxiedConnection & { cut(): void }>();
  private refusing: ((applicationName: string | undefined) => boolean) | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<PgFaultProxy> {
    let proxy: PgFaultProxy | undefined;
    const server = createServer((client) => proxy!.connect(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy did not bind');
    proxy = new PgFaultProxy(server, address.port);
    return proxy;
  }

  loseNextCommitAcks(count: number): void {
    this.acksToLose += count;
  }

  /** The proxy's address, as a PostgreSQL URL with the credentials and database of `target`. */
  urlFor(target: string): string {
    const url = new URL(target);
    url.host = `127.0.0.1:${this.port}`;
    return url.toString();
  }

  /**
   * Stops forwarding on every open connection whose application name matches, without closing
   * it; returns how many. Connections opened later pass normally.
   */
  blackhole(matches: (applicationName: string | undefined) => boolean): number {
    let count = 0;
    for (const connection of this.connections) {
      if (connection.blackholed || !matches(connection.applicationName)) continue;
      connection.blackholed = true;
      count++;
    }
    return count;
  }

  /**
   * Cuts every open connection whose application name matches, and every new one as soon as its
   * startup message names it, until `allow()`: one client's database goes away, others' stays.
   */
  refuse(matches: (applicationName: string | undefined) => boolean): number {
    this.refusing = matches;
    let count = 0;
    for (const connection of [...this.connections]) {
      if (!matches(connection.applicationName)) continue;
      connection.cut();
      count++;
    }
    return count;
  }

  allow(): void {
    this.refusing = undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: Socket, target: { host: string; port: number }): void {
    const server = new (client.constructor as typeof Socket)();
    server.connect(target.port, target.host);
    this.sockets.add(client).add(server);
    const connection = { applicationName: undefined as string | undefined, blackholed: false, cut: () => {} };
    this.connections.add(connection);
    const cut = () => {
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
      this.connections.delete(connection);
    };
    connection.cut = cut;
    client.on('error', cut).on('close', cut);
    server.on('error', cut).on('close', cut);

    let commitSent = false;
    const frames = new ClientFrames((type, body) => {
      if (type === 'startup') {
        connection.applicationName = startupParameters(body).get('application_name');
        if (this.refusing?.(connection.applicationName)) cut();
        return;
      }
      if (type === 'Q' && /^\s*commit\b/i.test(body.toString('utf8', 0, Math.min(body.length, 32)))) {
        if (this.acksToLose > 0) {
          this.acksToLose--;
          commitSent = true;
        }
      }
    });
    client.on('data', (chunk) => {
      if (connection.blackholed) return;
      frames.push(chunk);
      if (!client.destroyed) server.write(chunk);
    });
    server.on('data', (chunk) => {
      if (connection.blackholed) return;
      if (commitSent) {
        // The server has answered the COMMIT, so it is durable; the client never hears of it.
        this.lostAcks++;
        cut();
        return;
      }
      client.write(chunk);
    });
  }
}

/** Splits the client's byte stream into protocol messages: an untyped startup message, then typed ones. */
class ClientFrames {
  private buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly onMessage: (type: string, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        const body = this.buffer.subarray(8, length);
        this.buffer = this.buffer.subarray(length);
        // SSLRequest and GSSENCRequest are followed by the real startup message.
        if (code !== 80877103 && code !== 80877104) {
          this.started = true;
          this.onMessage('startup', body);
        }
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      const type = String.fromCharCode(this.buffer[0]!);
      this.onMessage(type, this.buffer.subarray(5, 1 + length));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

/** A startup message's parameters: NUL-terminated name and value pairs. */
function startupParameters(body: Buffer): Map<string, string> {
  const parts = body.toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) parameters.set(parts[i]!, parts[i + 1]!);
  return parameters;
}
