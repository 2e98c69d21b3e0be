import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations from the supergraph: `npm run cli:codegen` writes src/generated/ (as generated,
// unformatted, so `cli:codegen -- --check` can compare); `.ci/run` fails on drift like the schema.
const config: CodegenConfig = {
  schema: 'schema/supergraph.graphql',
  documents: 'services/cli/src/operations/*.graphql',
  generates: {
    'services/cli/src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        onlyOperationTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        skipTypename: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
      },
    },
  },
};
export default config;
