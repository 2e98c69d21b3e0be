import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeSupergraph, readCheckedIn } from '../supergraph.ts';

describe('schema files', () => {
  it('match what the code produces (run `npm run schema:compose` after changing a schema)', async () => {
    const [fresh, checkedIn] = await Promise.all([composeSupergraph(), readCheckedIn()]);
    for (const [name, sdl] of Object.entries(fresh.subgraphs)) {
      assert.equal(
        checkedIn.subgraphs[name as keyof typeof checkedIn.subgraphs],
        sdl,
        `schema/subgraphs/${name}.graphql is stale`,
      );
    }
    assert.equal(checkedIn.supergraph, fresh.supergraph, 'schema/supergraph.graphql is stale');
  });

  it('compose into one supergraph where failure-catalog extends both run entities', async () => {
    const { supergraph, subgraphs } = await readCheckedIn();
    for (const sdl of Object.values(subgraphs)) {
      // Federation >= 2.4 is what lets subgraphs serve subscriptions through the gateway.
      assert.match(sdl, /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.7"/);
    }
    for (const type of ['ScoringRun', 'ReviewRun']) {
      const block = supergraph.slice(supergraph.indexOf(`type ${type}`));
      assert.match(
        block.slice(0, block.indexOf('\n}')),
        /failures: \[FailureMatch!\]! @join__field\(graph: FAILURE_CATALOG\)/,
      );
    }
  });
});
