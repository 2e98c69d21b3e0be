// The embedded PostgreSQL that `npm start` (and `npm run spool -- replay`) runs when DATABASE_URL
// is unset: data under ASSAY_DATA_DIR/pg, reused across runs, with an `assay` database.
import { join } from 'node:path';
import { EmbeddedPostgres } from '@assay/kit/operations';
import pg from 'pg';

export async function startEmbeddedDatabase(options: {
  dataDir: string;
  port: number;
  say: (line: string) => void;
}): Promise<{ server: EmbeddedPostgres; url: string }> {
  const server = new EmbeddedPostgres({ dataDir: join(options.dataDir, 'pg'), port: options.port });
  const fresh = !server.initialised;
  if (fresh) options.say(`initialising an embedded PostgreSQL in ${server.dataDir}`);
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: server.localUrl });
  await admin.connect();
  const exists = await admin.query('select 1 from pg_database where datname = $1', ['assay']);
  if (exists.rowCount === 0) await admin.query('create database assay');
  await admin.end();
  options.say(`embedded PostgreSQL on 127.0.0.1:${options.port}${fresh ? ' (new)' : ''}`);
  // The services reach it through its Unix socket (EmbeddedPostgres.localUrl).
  return { server, url: server.localUrl.replace(/\/postgres$/, '/assay') };
}
