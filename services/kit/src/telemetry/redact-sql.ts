/**
 * MikroORM inlines parameter values into the SQL it sends, so the pg instrumentation would put
 * user data (diffs, repository names, secrets in them) into span attributes. Spans keep the
 * statement's shape only: string, dollar-quoted and numeric literals become `?`.
 */
export function redactSql(sql: string): string {
  return sql
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, '?')
    .replace(/[EeBbXxUu]?&?'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w".$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?');
}
