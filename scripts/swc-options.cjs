// One swc configuration for the build and for Jest, so that tests run the code exactly as it ships.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

const LIBRARIES = ['payment-domain', 'event-store', 'dintero', 'messaging', 'platform'];

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
            // A library's own files by path (`@app/platform/config/load-config`), for what must not load its
            // whole entry: the rebuild's command loads no Nest application, HTTP server or Dintero client.
            paths: {
              ...Object.fromEntries(LIBRARIES.map((lib) => [`@app/${lib}/*`, [`libs/${lib}/src/*`]])),
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
