// Three test tiers, told apart by file suffix: unit, int (real SQLite and NATS), e2e (across apps).
const { swcOptions } = require('./scripts/swc-options.cjs');

// Nest 12 ships as ES modules only. Node 20 loads them through require(esm), but Jest's own module
// loader cannot before Node 24.9, so those packages (and their ESM-only dependencies) are compiled to
// CommonJS by the same swc transform as our code.
const esmPackages = [
  '@nestjs',
  'file-type',
  'load-esm',
  'uid',
  'token-types',
  'strtok3',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
  'content-disposition',
];

const slowTier = '<rootDir>/test/support/slow-tier.setup.ts';

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swcOptions({ paths: false })] },
  // Leaves node_modules untransformed unless the path has one of those packages at any depth
  // (content-disposition, say, sits under @fastify/static/node_modules).
  transformIgnorePatterns: [`^(?!.*/node_modules/(${esmPackages.join('|')})/).*/node_modules/`],
  moduleNameMapper: {
    '^@app/([^/]+)/(.+)$': '<rootDir>/libs/$1/src/$2',
    '^@app/([^/]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.tmp/'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test,examples}/**/*.unit.spec.ts'] },
    {
      ...shared,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,test,examples}/**/*.int.spec.ts'],
      setupFilesAfterEnv: [slowTier],
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'], setupFilesAfterEnv: [slowTier] },
  ],
};
