// `node -r ./scripts/register-ts.cjs file.ts`: runs TypeScript straight from source with the project's
// swc options (aliases included). Used for child processes in tests, where a build would be stale.
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');
const { swcOptions } = require('./swc-options.cjs');

const options = swcOptions();
addHook((code, filename) => transformSync(code, { ...options, filename, sourceMaps: 'inline' }).code, {
  exts: ['.ts'],
  ignoreNodeModules: true,
});
