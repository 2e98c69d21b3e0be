/** Everything a command prints goes through here, so `--json` output stays one parseable document. */
export const out = (line = '') => process.stdout.write(`${line}\n`);
export const err = (line: string) => process.stderr.write(`${line}\n`);
export const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

/** A plain aligned table; cells are stringified, nulls shown as `-`. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
