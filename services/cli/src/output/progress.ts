/** One moment of a run, as its progress subscription reports it. */
export interface ProgressState {
  status: string;
  progressStep?: string | null;
  progressPct: number;
}

export interface Progress {
  update(state: ProgressState): void;
  /** A line of its own (a persona landed, the socket came back), above the bar on a TTY. */
  note(line: string): void;
  finish(): void;
}

const WIDTH = 24;

/**
 * On a terminal: one bar redrawn in place (percent, status, step, elapsed). Otherwise: a plain line
 * whenever status, step or percent changes, with no escape codes, for CI logs. Silent with `--json`.
 * Written to stderr, so stdout carries only the result.
 */
export function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  options: { quiet?: boolean } = {},
): Progress {
  if (options.quiet) return { update() {}, note() {}, finish() {} };
  const startedAt = Date.now();
  const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
  let last = '';
  let drawn = false;
  if (stream.isTTY) {
    let current: ProgressState | null = null;
    const draw = () => {
      if (!current) return;
      const pct = Math.max(0, Math.min(100, current.progressPct));
      const filled = Math.round((pct / 100) * WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
      const step = current.progressStep ? ` ${current.progressStep}` : '';
      stream.write(`\r\x1b[2K${bar} ${String(pct).padStart(3)}% ${current.status}${step} ${elapsed()}`);
      drawn = true;
    };
    const ticker = setInterval(draw, 250);
    ticker.unref();
    return {
      update(state) {
        current = state;
        draw();
      },
      note(line) {
        stream.write(`${drawn ? '\r\x1b[2K' : ''}${line}\n`);
        draw();
      },
      finish() {
        clearInterval(ticker);
        if (drawn) stream.write('\n');
      },
    };
  }
  return {
    update(state) {
      const line = `${state.status} ${state.progressPct}%${state.progressStep ? ` ${state.progressStep}` : ''}`;
      if (line !== last) stream.write(`${line} (${elapsed()})\n`);
      last = line;
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    finish() {},
  };
}
