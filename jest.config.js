/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  // ocean.js (a dev dependency of the ocean tests) requires ddo-js, whose "main" is an ES module; Node loads it, jest's
  // CommonJS runtime cannot, so point jest at the CommonJS build the package ships.
  moduleNameMapper: { '^@oceanprotocol/ddo-js$': '<rootDir>/node_modules/@oceanprotocol/ddo-js/dist/ddo.module.cjs' },
};
