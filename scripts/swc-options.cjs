// One swc configuration for the build and for Jest, so that tests run the code exactly as it ships.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** @param {{ paths?: boolean }} opts */
function swcOptions({ paths = true } = {}) {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
      ...(paths
        ? {
            baseUrl: root,
            paths: {
              '@app/*': ['libs/*/src/index.ts'],
            },
          }
        : {}),
    },
    module: { type: 'commonjs', strict: true },
    sourceMaps: true,
  };
}

module.exports = { swcOptions, root };
