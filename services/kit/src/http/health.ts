/** Named readiness checks; `/readyz` runs them all and is 200 only when every one passes. */
export interface CheckResult {
  ok: boolean;
  detail?: unknown;
}

export type Check = () => Promise<CheckResult> | CheckResult;

export class Health {
  private readonly checks = new Map<string, Check>();
  private shuttingDown = false;

  register(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async readiness(timeoutMs = 2000): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const checks: Record<string, CheckResult> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        checks[name] = await withTimeout(check, timeoutMs);
      }),
    );
    if (this.shuttingDown) checks.shutdown = { ok: false, detail: 'shutting down' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}

async function withTimeout(check: Check, ms: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${ms} ms` }), ms);
      }),
    ]);
  } catch (error) {
    return { ok: false, detail: (error as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}
