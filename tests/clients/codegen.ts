// GraphQL Code Generator: typed documents for relgate's example operations.
//
//   npm run codegen   # writes generated/ (git-ignored)
//
// The client preset emits, per operation in schema/operations/*.graphql, a
// `<Name>Document` (a TypedDocumentNode carrying the result and variables
// types) plus `<Name>Query`/`<Name>Mutation` and `...Variables` types. A
// frontend points `documents` at its own .graphql files (or .ts files that
// use the generated `graphql()` function) instead.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema/schema.graphql',
  documents: ['../../schema/operations/*.graphql'],
  // Unknown fields or types in an operation are an error, not a warning.
  ignoreNoDocuments: false,
  // ESM output: relative imports end in `.js` (needed by NodeNext resolution).
  emitLegacyCommonJSImports: false,
  generates: {
    './generated/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Also writes generated/persisted-documents.json (ids `sha256:<hex>`
        // to document texts): the manifest relgate loads with
        // --trusted-documents, and each document's id in its `__meta__.hash`.
        persistedDocuments: true,
      },
      config: {
        // Custom scalars: DateTime is an RFC 3339 string on the wire.
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
      },
    },
  },
};

export default config;
