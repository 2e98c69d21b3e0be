import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can lose a COMMIT's acknowledgement for real: it passes
 * the COMMIT to the server, lets the server commit, and cuts the connection instead of forwarding
 * the reply. The client sees a dropped connection and cannot know the commit happened.
 */
export class PgFaultProxy {
  /** Commit acknowledgements still to lose. */
  private acksToLose = 0;
  lostAcks = 0;
  private readonly sockets = new Set<Socket>();

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

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: Socket, target: { host: string; port: number }): void {
    const server = new (client.constructor as typeof Socket)();
    server.connect(target.port, target.host);
    this.sockets.add(client).add(server);
    const cut = () => {
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
    };
    client.on('error', cut).on('close', cut);
    server.on('error', cut).on('close', cut);

    let commitSent = false;
    const frames = new ClientFrames((type, body) => {
      if (type === 'Q' && /^\s*commit\b/i.test(body.toString('utf8', 0, Math.min(body.length, 32)))) {
        if (this.acksToLose > 0) {
          this.acksToLose--;
          commitSent = true;
        }
      }
    });
    client.on('data', (chunk) => {
      frames.push(chunk);
      server.write(chunk);
    });
    server.on('data', (chunk) => {
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
        this.buffer = this.buffer.subarray(length);
        // SSLRequest and GSSENCRequest are followed by the real startup message.
        if (code !== 80877103 && code !== 80877104) this.started = true;
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
