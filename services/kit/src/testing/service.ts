import { type RunningService, type ServiceModule, startService } from '../service/service.ts';
import { createTestDatabase } from './database.ts';

/** A service on its own fresh database and a free port, ready (migrated) when returned. */
export async function startTestService(
  module: ServiceModule,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningService & { stopAndDrop: () => Promise<void> }> {
  const database = await createTestDatabase();
  const service = await startService(module, {
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      [module.portVariable]: '0',
      ...env,
    },
  });
  await service.ready;
  return {
    ...service,
    async stopAndDrop() {
      await service.stop();
      await database.drop();
    },
  };
}
