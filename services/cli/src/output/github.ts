import { appendFileSync } from 'node:fs';

/** Whether the CLI runs as a GitHub Actions step. */
export const underGitHubActions = (env: NodeJS.ProcessEnv = process.env) => env.GITHUB_ACTIONS === 'true';

// Workflow commands: data escapes %, CR and LF; properties also `:` and `,`.
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  file: string;
  line?: number | null;
  title: string;
  message: string;
}

/** `::warning file=src/a.ts,line=12,title=no-console::message` */
export function annotation(a: Annotation): string {
  const props = [`file=${property(a.file)}`];
  if (a.line) props.push(`line=${a.line}`);
  props.push(`title=${property(a.title)}`);
  return `::${a.level} ${props.join(',')}::${data(a.message)}`;
}

/** Appends Markdown to the job's summary page, when the runner gave a file for it. */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
}

/** A Markdown table cell: pipes and newlines would break the row. */
export const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
