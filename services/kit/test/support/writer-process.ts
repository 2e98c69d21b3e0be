// A writer in a process of its own, for the SIGKILL tests: `write` persists notes and prints
// `ack <key> <status>` once each write is acknowledged; `replay` drains the spool.
import { openHarness } from './fault-db.ts';
import { noteWrite } from './note-write.ts';

const { DB_URL, SPOOL_DIR, MODE, PREFIX = 'kill', COUNT = '0' } = process.env;
const h = await openHarness({ url: DB_URL!, spoolDir: SPOOL_DIR!, migrate: false });
process.stdout.write('ready\n');

if (MODE === 'write') {
  let next = 0;
  const count = Number(COUNT);
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < count) {
        const key = `${PREFIX}-${String(next++).padStart(5, '0')}`;
        const result = await h.writer.persist(noteWrite, { key, body: { key } });
        process.stdout.write(`ack ${key} ${result.status}\n`);
      }
    }),
  );
} else {
  while (h.spool.depth > 0) await h.replayer.drain();
}
process.stdout.write('finished\n');
await h.close();
