import { constants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
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
  /** The write's order key, when it has one: records sharing it are replayed in spool order. */
  order?: string;
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
const segmentSeq = (name: string) => Number(SEGMENT.exec(name)![1]);

function spoolLine(record: SpoolRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

interface Pending {
  line: string;
  order: string | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const QUARANTINE = 'quarantine.log';

export class Spool {
  private current: { handle: FileHandle; name: string; records: number } | undefined;
  private nextSeq = 1;
  /** Segments numbered below it are sealed: no append goes to them any more. */
  private sealedBelow = 1;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly counts = new Map<string, number>();
  /** Per segment, how many of its records carry each order key. */
  private readonly orders = new Map<string, Map<string, number>>();
  /** Order keys with records on disk, and how many. */
  private readonly pendingOrders = new Map<string, number>();
  private quarantinedCount = 0;

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

  /** Records set aside by `quarantine`: never replayed, kept for a person to look at. */
  get quarantinedDepth(): number {
    return this.quarantinedCount;
  }

  /** Whether a record with this order key is waiting to be replayed. */
  hasPending(order: string): boolean {
    return this.pendingOrders.has(order);
  }

  /** Takes the directory's lock (one process per spool) and counts what earlier runs left. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.takeLock();
    for (const name of await this.segmentNames()) {
      const seq = segmentSeq(name);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const segment = await this.read(name, { quiet: true });
      this.counts.set(name, segment.records.length);
      for (const record of segment.records) this.countOrder(name, record.order);
    }
    this.sealedBelow = this.nextSeq;
    this.quarantinedCount = (await this.quarantined()).length;
    if (this.depth > 0)
      this.log.warn({ depth: this.depth, dir: this.dir }, 'spool has records from an earlier run');
  }

  /** Resolves once the record is on disk (fdatasync); rejects if it could not be made durable. */
  append(record: SpoolRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line: spoolLine(record), order: record.order, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Sets a record aside for good, durably: one that cannot be replayed (its payload makes no sense
   * to its write, or even its dead letter was refused) must never hold up the records behind it.
   */
  async quarantine(record: SpoolRecord): Promise<void> {
    const handle = await open(join(this.dir, QUARANTINE), 'a', 0o600);
    try {
      await handle.write(spoolLine(record));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.quarantinedCount++;
    this.log.error({ write: record.write, id: record.id }, 'spool record quarantined');
  }

  /** The quarantined records, oldest first. */
  async quarantined(): Promise<SpoolRecord[]> {
    const text = await readFile(join(this.dir, QUARANTINE), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    return text
      .split('\n')
      .map(parseLine)
      .filter((r): r is SpoolRecord => r !== undefined);
  }

  /** Ends the segment being written: the next append starts a new one, and this one can be replayed. */
  async seal(): Promise<void> {
    while (this.flushing) await this.flushing;
    // No flush runs at this point, so no segment is being created: all below nextSeq are complete.
    this.sealedBelow = this.nextSeq;
    const current = this.current;
    this.current = undefined;
    await current?.handle.close();
  }

  /**
   * Sealed segments, oldest first. A segment created after the last `seal` is left alone even before
   * it becomes the one being written (its file exists before its directory entry is synced).
   */
  async *sealedSegments(): AsyncGenerator<SpoolSegment> {
    for (const name of await this.segmentNames()) {
      if (segmentSeq(name) >= this.sealedBelow || name === this.current?.name) continue;
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
    for (const [order, n] of this.orders.get(name) ?? []) {
      const left = (this.pendingOrders.get(order) ?? 0) - n;
      if (left > 0) this.pendingOrders.set(order, left);
      else this.pendingOrders.delete(order);
    }
    this.orders.delete(name);
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
          for (const p of batch) {
            this.countOrder(segment.name, p.order);
            p.resolve();
          }
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

  private countOrder(segment: string, order: string | undefined): void {
    if (order === undefined) return;
    const inSegment = this.orders.get(segment) ?? new Map<string, number>();
    inSegment.set(order, (inSegment.get(order) ?? 0) + 1);
    this.orders.set(segment, inSegment);
    this.pendingOrders.set(order, (this.pendingOrders.get(order) ?? 0) + 1);
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
   * One process per spool directory, taken atomically: the lock file is hard-linked into place
   * from a file that already holds our pid, so two processes starting together cannot both hold
   * it. A lock left by a dead process (SIGKILL) is taken over under a second atomic link named
   * for the dead pid, so only one of several newcomers replaces it; its records are then replayed
   * by whoever holds the spool.
   */
  private async takeLock(): Promise<void> {
    const path = join(this.dir, 'LOCK');
    const mine = `${path}.${process.pid}.tmp`;
    const handle = await open(mine, 'w', 0o600);
    await handle.writeFile(String(process.pid));
    await handle.sync();
    await handle.close();
    try {
      for (let tries = 0; tries < 50; tries++) {
        if (await linked(mine, path)) return await this.syncDir();
        const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
        if (holder === process.pid) return;
        if (holder && isAlive(holder)) throw new Error(`spool ${this.dir} is in use by process ${holder}`);
        if (holder) await this.takeOver(path, mine, holder);
        else await new Promise((resolve) => setTimeout(resolve, 10)); // removed meanwhile: try again
      }
      throw new Error(`spool ${this.dir}: could not take its lock`);
    } finally {
      await unlink(mine).catch(() => undefined);
    }
  }

  /** Replaces the lock of a dead process, if this process is the one to win that dead pid's claim. */
  private async takeOver(path: string, mine: string, dead: number): Promise<void> {
    const claim = `${path}.takeover-${dead}`;
    if (!(await linked(mine, claim))) {
      await new Promise((resolve) => setTimeout(resolve, 10)); // another newcomer is taking over
      return;
    }
    try {
      // Still the dead process's lock (no other newcomer replaced it first): ours now.
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (holder === dead) await unlink(path);
    } finally {
      await unlink(claim).catch(() => undefined);
    }
  }
}

/** `link(2)`: atomic, and fails if the target exists. */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
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
