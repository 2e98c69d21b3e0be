/**
 * The rules that produce violations: line rules read each added line, file rules read the file list.
 * Messages are fixed text (at most a directive's name), so a matched secret is never echoed back.
 */

import type { DiffFile } from '../parse-diff.ts';
import type { Violation, ViolationSeverity } from '../scorer.ts';
import { isBuildOutput, isLockfile, isTestFile, type Language, languageOf } from './classify.ts';

interface FileFacts {
  language: Language | null;
  test: boolean;
  generated: boolean;
}

interface LineRule {
  rule: string;
  severity: ViolationSeverity;
  appliesTo(file: FileFacts): boolean;
  /** The message when the line breaks the rule, else null. */
  check(text: string, file: FileFacts): string | null;
}

const AWS_KEY_ID = /(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/g;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
// A quoted literal of 4+ characters without spaces; `${…}`, `<…>`, `{{…}}`, `%(…)` are placeholders.
const PASSWORD = /(?:password|passwd|pwd)["']?\s*(?::=|=>|[:=])\s*["'](?![$<{%])[^"'\s]{4,}["']/i;
const API_TOKEN = /(?:api[_-]?key|secret|token)["']?\s*(?::=|=>|[:=])\s*["'][\w\-+/=.]{20,}["']/i;

const LINT_DIRECTIVES: Partial<Record<Language, RegExp>> = {
  js: /eslint-disable|biome-ignore|tslint:disable/,
  python: /#\s*(?:noqa|pylint:\s*disable)/,
  go: /\/\/\s*nolint/,
  ruby: /#\s*rubocop:disable/,
};
const TYPE_DIRECTIVES: Partial<Record<Language, RegExp>> = {
  js: /@ts-ignore|@ts-nocheck/,
  python: /#\s*type:\s*ignore/,
};
const DEBUG_STATEMENTS: Partial<Record<Language, RegExp>> = {
  js: /\bconsole\.(?:log|debug)\s*\(|^\s*debugger\s*;?\s*$/,
  python: /(?<![\w.])(?:print|breakpoint)\s*\(|\bi?pdb\.set_trace\s*\(/,
  ruby: /\bbinding\.pry\b|\bbyebug\b/,
};
const TODO = /\b(?:TODO|FIXME|XXX)\b/;

/** The matched directive without comment markers: fixed vocabulary, safe to show. */
const directive = (pattern: RegExp | undefined, text: string) =>
  pattern?.exec(text)?.[0].replace(/^[#/\s]+/, '') ?? null;

const always = () => true;
const handwrittenCode = (f: FileFacts) => f.language !== null && !f.generated;

export const LINE_RULES: readonly LineRule[] = [
  {
    rule: 'aws_access_key',
    severity: 'CRITICAL',
    appliesTo: always,
    // AWS documents its example keys with the suffix EXAMPLE; they are not secrets.
    check: (text) =>
      [...text.matchAll(AWS_KEY_ID)].some((m) => !m[0].endsWith('EXAMPLE'))
        ? 'possible AWS access key id added'
        : null,
  },
  {
    rule: 'private_key',
    severity: 'CRITICAL',
    appliesTo: always,
    check: (text) => (PRIVATE_KEY.test(text) ? 'private key added' : null),
  },
  {
    rule: 'hardcoded_password',
    severity: 'HIGH',
    // Fixtures are full of throwaway passwords; the two formats above stay checked in tests.
    appliesTo: (f) => !f.test,
    check: (text) => (PASSWORD.test(text) ? 'possible hard-coded password added' : null),
  },
  {
    rule: 'api_token',
    severity: 'HIGH',
    appliesTo: (f) => !f.test,
    check: (text) => (API_TOKEN.test(text) ? 'possible API key or token assigned a literal' : null),
  },
  {
    rule: 'lint_disabled',
    severity: 'MEDIUM',
    appliesTo: handwrittenCode,
    check: (text, f) => {
      const name = directive(LINT_DIRECTIVES[f.language!], text);
      return name ? `lint check disabled with ${name}` : null;
    },
  },
  {
    rule: 'type_check_disabled',
    severity: 'MEDIUM',
    appliesTo: handwrittenCode,
    check: (text, f) => {
      const name = directive(TYPE_DIRECTIVES[f.language!], text);
      return name ? `type check disabled with ${name}` : null;
    },
  },
  {
    rule: 'debug_statement',
    severity: 'LOW',
    // Tests print freely; only shipped code is checked.
    appliesTo: (f) => handwrittenCode(f) && !f.test,
    check: (text, f) =>
      DEBUG_STATEMENTS[f.language!]?.test(text) ? 'debug statement added; remove it or use the logger' : null,
  },
  {
    rule: 'todo_added',
    severity: 'INFO',
    appliesTo: handwrittenCode,
    check: (text) => (TODO.test(text) ? 'TODO, FIXME or XXX added; resolve it or link an issue' : null),
  },
];

/** Findings in the added lines of text files. */
export function lineViolations(files: readonly DiffFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    if (file.binary) continue;
    const facts = factsOf(file.path);
    const rules = LINE_RULES.filter((r) => r.appliesTo(facts));
    for (const { line, text } of file.added) {
      for (const { rule, severity, check } of rules) {
        const message = check(text, facts);
        if (message) violations.push({ file: file.path, line, rule, severity, message });
      }
    }
  }
  return violations;
}

/** Findings about whole files: what a reviewer cannot usefully read. */
export function fileViolations(files: readonly DiffFile[]): Violation[] {
  if (files.every((f) => isLockfile(f.path))) {
    return files.map((f) => ({
      file: f.path,
      line: null,
      rule: 'lockfile_only',
      severity: 'MEDIUM',
      message: 'only lockfiles changed; say which dependency moved and why',
    }));
  }
  const violations: Violation[] = [];
  // Deleting build output or binaries is a clean-up, not a finding.
  for (const file of files.filter((f) => f.status !== 'deleted')) {
    if (isBuildOutput(file.path)) {
      violations.push({
        file: file.path,
        line: null,
        rule: 'generated_file',
        severity: 'LOW',
        message: 'generated file changed; produce it in the build instead of committing it',
      });
    } else if (file.binary && !isLockfile(file.path)) {
      violations.push({
        file: file.path,
        line: null,
        rule: 'binary_file',
        severity: 'LOW',
        message: 'binary file changed; its content cannot be reviewed in the diff',
      });
    }
  }
  return violations;
}

const factsOf = (path: string): FileFacts => ({
  language: languageOf(path),
  test: isTestFile(path),
  generated: isBuildOutput(path) || isLockfile(path),
});
