import type { Logger } from '../logging/logger.ts';

type Hook = () => Promise<void> | void;

/**
 * Graceful shutdown: hooks run in reverse order of registration (so what started first, telemetry,
 * stops last), each bounded by the timeout so one stuck dependency cannot hold the process.
 */
export class Shutdown {
  private readonly hooks: { name: string; hook: Hook }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  add(name: string, hook: Hook): void {
    this.hooks.push({ name, hook });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const { name, hook } of [...this.hooks].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(hook),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`timed out after ${this.timeoutMs} ms`)),
                this.timeoutMs,
              );
            }),
          ]);
        } catch (error) {
          this.log.error({ err: error, step: name }, 'shutdown step failed');
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}
