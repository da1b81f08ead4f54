// pgpulse/testing: helpers for testing code that sends jobs, and handlers. Not for production.

export type { TestClockOptions } from './clock.js';
// Time for delayed jobs and retries
export { TestClock } from './clock.js';
export type {
  TestDatabase,
  TestServer,
  TestServerInfo,
  TestServerOptions,
} from './database.js';
// A PostgreSQL server for the test run, and a database per test file
export {
  createTestDatabase,
  startTestDatabase,
  TEST_SERVER_ENV,
} from './database.js';
export type { DrainOptions, DrainResult } from './drain.js';
export { drain } from './drain.js';
export type { WaitOptions } from './wait.js';
// Waiting, without fixed sleeps
export { DEFAULT_WAIT_MS, WaitTimeoutError, waitForJob } from './wait.js';
