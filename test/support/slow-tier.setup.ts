// The int and e2e tiers start real processes, servers and databases: give each test two minutes.
// (Jest reads `testTimeout` only from the root configuration, not from a project's.)
jest.setTimeout(120_000);
