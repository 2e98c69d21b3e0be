import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.ts';
import { freePort } from '../src/testing/processes.ts';

// `npm start` gives its services the embedded server's Unix socket, in the server's data directory,
// which is wherever ASSAY_DATA_DIR says: a path PostgreSQL's list syntax would split or mangle
// (a comma, a space, a quote) must still start the server and reach it through the socket.

test('a data directory with a comma, a space and a quote: the server starts and answers on its socket', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'assay-pg-'));
  await chmod(parent, 0o755); // as root, the server runs as the postgres user
  const dir = join(parent, 'a,b "c"');
  await mkdir(dir);
  await chmod(dir, 0o755);
  const server = new EmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
  try {
    await server.initialise();
    await server.start();
    const client = new pg.Client({ connectionString: server.localUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ socket: boolean }>('select inet_client_addr() is null as socket');
      assert.deepEqual(rows, [{ socket: true }]);
    } finally {
      await client.end();
    }
  } finally {
    await server.stop().catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  }
});
