import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { EPHEMERAL_FROM, freePort } from '../src/testing/processes.ts';

// Test servers listen on ports an outgoing connection cannot take between the pick and the bind:
// a port from the ephemeral range made a start fail now and then with "port … already in use".

test('free ports are below the ephemeral range, never handed out twice, and free', async () => {
  const from = EPHEMERAL_FROM;
  const ports = [];
  for (let i = 0; i < 50; i++) ports.push(await freePort());
  assert.deepEqual(
    ports.filter((p) => p >= from),
    [],
    `ports in the ephemeral range (from ${from})`,
  );
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports.slice(0, 5)) {
    await new Promise<void>((listening, fail) => {
      const server = createServer().once('error', fail);
      server.listen(port, '127.0.0.1', () => server.close(() => listening()));
    });
  }
});
