import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../logging/logger.ts';

/**
 * A durable local spool for writes the database could not take. Append-only segment files of
 * one record per line, `<crc32> <json>\n`, each append fsynced before it is acknowledged.
 *
 * - A crash mid-append leaves at most a torn last line in the segment being written; every later
 *   append goes to a new segment (a segment is never reopened), so a torn record is always a
 *   tail, is detected by its checksum or missing newline, and is skipped without touching the rest.
 * - Replay takes whole segments, oldest first; a segment is deleted only after every record in it
 *   has been committed and verified (or dead-lettered). A crash mid-replay replays the segment
 *   again, which the writes' idempotency keys make harmless.
 * - Concurrent appends are group-committed: one write and one fdatasync for every record queued
 *   while the previous flush ran.
 */
export interface SpoolRecord {
  id: string;
  /** The registered write that replays it. */
  write: string;
  key: string;
  payload: unknown;
  spooledAt: string;
  /** Why it was spooled (an error code, never a message with data in it). */
  reason: string;
}

export interface SpoolSegment {
  name: string;
  records: SpoolRecord[];
  /** Lines skipped as torn or corrupt. */
  skipped: number;
}

const SEGMENT = /^segment-(\d{12})\.log$/;
const segmentName = (seq: number) => `segment-${String(seq).padStart(12, '0')}.log`;

interface Pending {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Spool {
  private current: { handle: FileHandle; name: string; records: number } | undefined;
  private nextSeq = 1;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly counts = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly options: { segmentRecords?: number } = {},
  ) {}

  /** Records waiting to be replayed. */
  get depth(): number {
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  /** Takes the directory's lock (one process per spool) and counts what earlier runs left. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.takeLock();
    for (const name of await this.segmentNames()) {
      const seq = Number(SEGMENT.exec(name)![1]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const segment = await this.read(name, { quiet: true });
      this.counts.set(name, segment.records.length);
    }
    if (this.depth > 0)
      this.log.warn({ depth: this.depth, dir: this.dir }, 'spool has records from an earlier run');
  }

  /** Resolves once the record is on disk (fdatasync); rejects if it could not be made durable. */
  append(record: SpoolRecord): Promise<void> {
    const json = JSON.stringify(record);
    const line = `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Ends the segment being written: the next append starts a new one, and this one can be replayed. */
  async seal(): Promise<void> {
    while (this.flushing) await this.flushing;
    const current = this.current;
    this.current = undefined;
    await current?.handle.close();
  }

  /** Sealed segments, oldest first. */
  async *sealedSegments(): AsyncGenerator<SpoolSegment> {
    for (const name of await this.segmentNames()) {
      if (name === this.current?.name) continue;
      yield await this.read(name, { quiet: false });
    }
  }

  /** Every segment on disk, oldest first, read without the lock (for listing by hand). */
  async inspect(): Promise<SpoolSegment[]> {
    const names = await this.segmentNames().catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return Promise.all(names.map((name) => this.read(name, { quiet: true })));
  }

  /** Deletes a replayed segment, durably. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name));
    await this.syncDir();
    this.counts.delete(name);
  }

  async close(): Promise<void> {
    await this.seal();
    await unlink(join(this.dir, 'LOCK')).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const segment = await this.segment();
          await segment.handle.write(batch.map((p) => p.line).join(''));
          await segment.handle.datasync();
          segment.records += batch.length;
          this.counts.set(segment.name, (this.counts.get(segment.name) ?? 0) + batch.length);
          for (const p of batch) p.resolve();
          if (segment.records >= (this.options.segmentRecords ?? 1000)) await this.seal_();
        } catch (error) {
          for (const p of batch) p.reject(error);
          // The segment may now end torn: never append to it again.
          await this.seal_().catch(() => undefined);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** `seal` without waiting for the flush (called from inside it). */
  private async seal_(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.handle.close();
  }

  private async segment() {
    if (!this.current) {
      const name = segmentName(this.nextSeq++);
      const handle = await open(
        join(this.dir, name),
        constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_APPEND,
        0o600,
      );
      await this.syncDir(); // the new file's directory entry must survive a crash too
      this.current = { handle, name, records: 0 };
    }
    return this.current;
  }

  private async read(name: string, { quiet }: { quiet: boolean }): Promise<SpoolSegment> {
    const text = await readFile(join(this.dir, name), 'utf8');
    const lines = text.split('\n');
    const tail = lines.pop(); // '' when the last record is complete
    const records: SpoolRecord[] = [];
    let skipped = tail ? 1 : 0;
    for (const line of lines) {
      const record = parseLine(line);
      if (record) records.push(record);
      else skipped++;
    }
    if (skipped > 0 && !quiet)
      this.log.warn({ segment: name, skipped }, 'skipped torn or corrupt spool records');
    return { name, records, skipped };
  }

  private async segmentNames(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => SEGMENT.test(n)).sort();
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, constants.O_RDONLY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * One process per spool directory. A lock left by a dead process (SIGKILL) is taken over, so
   * its records are replayed by whoever starts next.
   */
  private async takeLock(): Promise<void> {
    const path = join(this.dir, 'LOCK');
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(`spool ${this.dir} is in use by process ${holder}`);
    }
    // Written aside and renamed over: a crash never leaves a half-written lock.
    const temp = `${path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    await handle.writeFile(String(process.pid));
    await handle.sync();
    await handle.close();
    await rename(temp, path);
    await this.syncDir();
  }
}

function parseLine(line: string): SpoolRecord | undefined {
  const space = line.indexOf(' ');
  if (space !== 8) return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json) as SpoolRecord;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
