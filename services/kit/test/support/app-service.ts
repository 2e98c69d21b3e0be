import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceModule, startService } from '../../src/service/service.ts';
import { TEST_CONTEXT_SECRET } from '../../src/testing/credentials.ts';
import { createTestDatabase } from '../../src/testing/database.ts';

/** A test's own service module with nothing in it but an app. */
export function appModule(name: string, createApp: ServiceModule['createApp']): ServiceModule {
  return {
    name,
    dbSchema: name.replaceAll('-', '_'),
    portVariable: 'ASSAY_SCORING_PORT',
    entities: [],
    migrations: [],
    createApp,
  };
}

/**
 * Starts a module as its main.ts would, on a database and data directory of its own; `stop` ends
 * it and removes both. Resolves once it listens, not once its app has started (`service.ready`).
 */
export async function startAppService(module: ServiceModule) {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), `assay-${module.name}-`));
  const service = await startService(module, {
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      ASSAY_DATA_DIR: dataDir,
      ASSAY_SCORING_PORT: '0',
      ASSAY_CONTEXT_SECRET: TEST_CONTEXT_SECRET,
    },
  });
  return {
    service,
    async stop() {
      await service.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
