import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DriverException } from '@mikro-orm/core';
import { classifyDbError } from '../src/persistence/classify-error.ts';

const pgError = (code: string, message = 'server says no') => Object.assign(new Error(message), { code });

describe('classifyDbError', () => {
  const cases: [string, unknown, 'transient' | 'permanent', string][] = [
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'transient',
      'ECONNREFUSED',
    ],
    [
      'connection reset',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      'transient',
      'ECONNRESET',
    ],
    [
      'broken pipe (errno that looks like a SQLSTATE)',
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      'transient',
      'EPIPE',
    ],
    ['08006 connection failure', pgError('08006'), 'transient', '08006'],
    ['08003 connection does not exist', pgError('08003'), 'transient', '08003'],
    ['40001 serialization failure', pgError('40001'), 'transient', '40001'],
    ['40P01 deadlock', pgError('40P01'), 'transient', '40P01'],
    ['53300 too many connections', pgError('53300'), 'transient', '53300'],
    ['55P03 lock timeout', pgError('55P03'), 'transient', '55P03'],
    [
      '57014 our statement timeout',
      pgError('57014', 'canceling statement due to statement timeout'),
      'transient',
      'STATEMENT_TIMEOUT',
    ],
    [
      '57014 cancelled by an operator',
      pgError('57014', 'canceling statement due to user request'),
      'permanent',
      '57014',
    ],
    ['25006 read-only during failover', pgError('25006'), 'transient', '25006'],
    ['53100 disk full', pgError('53100'), 'transient', '53100'],
    ['53200 out of memory', pgError('53200'), 'transient', '53200'],
    ['08P01 a value the protocol refuses (U+0000)', pgError('08P01'), 'permanent', '08P01'],
    ['22P05 untranslatable character in jsonb', pgError('22P05'), 'permanent', '22P05'],
    ['57P01 admin shutdown (pg_terminate_backend)', pgError('57P01'), 'transient', '57P01'],
    ['57P02 crash shutdown', pgError('57P02'), 'transient', '57P02'],
    ['57P03 cannot connect now', pgError('57P03'), 'transient', '57P03'],
    [
      'pool acquisition timeout',
      new Error('timeout exceeded when trying to connect'),
      'transient',
      'POOL_TIMEOUT',
    ],
    [
      'connection terminated',
      new Error('Connection terminated unexpectedly'),
      'transient',
      'CONNECTION_TERMINATED',
    ],
    [
      'client not queryable',
      new Error('Client has encountered a connection error and is not queryable'),
      'transient',
      'CONNECTION_LOST',
    ],
    ['23505 unique violation', pgError('23505'), 'permanent', '23505'],
    ['23502 not null violation', pgError('23502'), 'permanent', '23502'],
    ['22P02 invalid text representation', pgError('22P02'), 'permanent', '22P02'],
    ['22001 value too long', pgError('22001'), 'permanent', '22001'],
    ['42P01 undefined table', pgError('42P01'), 'permanent', '42P01'],
    ['42501 insufficient privilege', pgError('42501'), 'permanent', '42501'],
    ['an unknown bug', new TypeError('x is not a function'), 'permanent', 'UNKNOWN'],
    ['wrapped by MikroORM', new DriverException(pgError('40P01')), 'transient', '40P01'],
    ['in the cause chain', new Error('outer', { cause: pgError('57P01') }), 'transient', '57P01'],
    [
      'inside an AggregateError',
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
      'transient',
      'ECONNREFUSED',
    ],
  ];
  for (const [name, error, errorClass, code] of cases) {
    test(name, () => assert.deepEqual(classifyDbError(error), { errorClass, code }));
  }
});
