/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { diagnostics: { warnOnly: false } }] },
  globalSetup: '<rootDir>/test/global-setup.js',
  testTimeout: 60000,
};
