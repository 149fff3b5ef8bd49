/**
 * The layer rules of DESIGN section 10, checked in `npm run lint`. Type-only imports count
 * (tsPreCompilationDeps): a type import is a dependency too.
 */
const BACKENDS = '^src/store/(backend|view|sqlite|memory|postgres)';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Imports form no cycle, type imports included.', from: { path: '^src' }, to: { circular: true } },
    {
      name: 'model-imports-only-errors',
      severity: 'error',
      comment: 'The pure core imports only errors (and itself).',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: ['^src/model/', '^src/errors\\.ts$'] },
    },
    {
      name: 'backends-import-only-model-and-errors',
      severity: 'error',
      comment: 'Backends only store: they import the model, errors and the storage contract.',
      from: { path: BACKENDS },
      to: { path: '^src/', pathNot: ['^src/model/', '^src/errors\\.ts$', BACKENDS] },
    },
    {
      name: 'store-not-upward',
      severity: 'error',
      comment: 'store/ owns ports that the upper layers implement; it never imports them.',
      from: { path: '^src/store/' },
      to: { path: '^src/(sync|server|viewer|import|export|search|mcp|cli)/|^src/open-store\\.ts$|^src/index\\.ts$' },
    },
    {
      name: 'sync-not-server-or-cli',
      severity: 'error',
      from: { path: '^src/sync/' },
      to: { path: '^src/(server|viewer|cli)/|^src/index\\.ts$' },
    },
    { name: 'server-not-cli', severity: 'error', from: { path: '^src/server/' }, to: { path: '^src/cli/|^src/index\\.ts$' } },
    {
      name: 'lower-layers-not-composition-root',
      severity: 'error',
      comment: 'Composition happens in one place (src/open-store.ts), above every layer it wires.',
      from: { path: '^src/(model|store|sync|files|lifecycle)/' },
      to: { path: '^src/open-store\\.ts$' },
    },
    {
      name: 'importers-through-public-api',
      severity: 'error',
      comment: 'Importers write through the public Store API only (their own state file opens through the one SQLite driver).',
      from: { path: '^src/import/' },
      to: { path: '^src/store/(backend|view|batch|replay|threads|write-path|sqlite|memory|postgres)', pathNot: '^src/store/sqlite/driver\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
