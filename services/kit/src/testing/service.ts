import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, type ServiceModule, startService } from '../service/service.ts';
import { registerSubgraph, TEST_CONTEXT_SECRET } from './credentials.ts';
import { createTestDatabase } from './database.ts';

/**
 * A service on `databaseUrl` (one replica, when several share a database), with a spool directory
 * of its own and a free port, ready (migrated, started) when returned; `stop()` removes the directory.
 */
export async function startReplica(
  module: ServiceModule,
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningService> {
  const dataDir = await mkdtemp(join(tmpdir(), `assay-${module.name}-`));
  const service = await startService(module, {
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: databaseUrl,
      ASSAY_DATA_DIR: dataDir,
      [module.portVariable]: '0',
      ASSAY_CONTEXT_SECRET: TEST_CONTEXT_SECRET,
      ...env,
    },
  });
  registerSubgraph(service.url);
  await service.ready;
  return {
    ...service,
    async stop() {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A service on its own fresh database and a free port, ready (migrated) when returned. */
export async function startTestService(
  module: ServiceModule,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningService & { stopAndDrop: () => Promise<void> }> {
  const database = await createTestDatabase();
  const service = await startReplica(module, database.url, env);
  return {
    ...service,
    async stopAndDrop() {
      await service.stop();
      await database.drop();
    },
  };
}
