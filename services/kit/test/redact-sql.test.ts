import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactSql } from '../src/telemetry/redact-sql.ts';

describe('redactSql', () => {
  const cases: [string, string][] = [
    [`select * from "t" where "a" = 'x''y' and "b" = 42`, `select * from "t" where "a" = ? and "b" = ?`],
    [
      `insert into "s"."t2" ("c1") values (E'\\n', -3.5e2, $tag$secret$tag$)`,
      `insert into "s"."t2" ("c1") values (?, ?, ?)`,
    ],
    [`update "t" set "v" = $$it's$$ where "id" = $1`, `update "t" set "v" = ? where "id" = $1`],
    [`select "col_2" from "t" limit 10`, `select "col_2" from "t" limit ?`],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.equal(redactSql(input), expected));
  }
});
