// Placeholders for the reader's own code in the docs' samples (scripts/doc-samples.ts): each
// stands for something a sample uses but does not show. A sample that defines or imports the
// name itself uses its own (a module's names shadow these globals).

/// <reference types="vitest/globals" />

type PgPulse = typeof import('pgpulse');
type PgPulseTesting = typeof import('pgpulse/testing');

// The application's objects.
declare const queue: import('pgpulse').Queue;
declare const worker: import('pgpulse').Worker;
declare const mailer: {
  send(to: string, options?: { signal?: AbortSignal }): Promise<unknown>;
  welcome(to: string, name: string): Promise<unknown>;
  failNextSend(): void;
};
declare const partner: { isUp(): Promise<boolean>; sync(payload: unknown): Promise<void> };
declare const chunks: unknown[][];
declare const ownerUrl: string;
declare const connectionString: string;
declare const payload: { to: string; userId: string };
declare const order: { id: string; total: number };
declare const user: { email: string; banned: boolean };
declare const job: import('pgpulse').JobContext<{ to: string }>;
declare const result: unknown;
declare const other: string;
declare const tx: { $queryRawUnsafe(sql: string, ...values: unknown[]): Promise<unknown[]> };

// Libraries a sample shows without importing them.
declare const pino: () => import('pgpulse').Logger;
declare const winston: { createLogger(options: object): import('pgpulse').Logger };
declare const z: typeof import('zod').z;
declare const inject: typeof import('vitest').inject;
declare function alert(message: string, error?: unknown): void;

// The application's functions.
declare function sendEmail(job: import('pgpulse').JobContext<unknown>): Promise<void>;
declare function handler(job: import('pgpulse').JobContext<unknown>): Promise<void>;
declare function shutDown(error: unknown): void;
declare function resetPassword(
  job: import('pgpulse').JobContext<{ userId: string }>,
): Promise<void>;
declare function signUp(queue: import('pgpulse').Queue, user: { email: string }): Promise<void>;
declare function signUp(email: string): Promise<void>;
declare function sendMail(payload: unknown, options?: { signal?: AbortSignal }): Promise<void>;
declare function runMyMigrations(url: string): Promise<void>;
declare const ResetSchema: import('@standard-schema/spec').StandardSchemaV1<{ userId: string }>;
declare const welcome: import('pgpulse').JobDefinition<
  { to: string },
  { to: string },
  { messageId: string }
>;

declare const passwordReset: import('pgpulse').JobDefinition<{ userId: string }>;

// Names a page imports in an earlier sample and uses again in later ones.
declare const drain: PgPulseTesting['drain'];
declare const waitForJob: PgPulseTesting['waitForJob'];
declare const TestClock: PgPulseTesting['TestClock'];
declare const NonRetryableError: PgPulse['NonRetryableError'];

// Schedules' and flows' samples.
declare function buildReport(
  format: 'pdf' | 'csv',
  tickAt: Date | null,
  options: { signal: AbortSignal },
): Promise<unknown>;
declare function purgeOlderThan(days: number): Promise<number>;
declare function indexDocuments(documents: unknown[]): Promise<unknown>;
declare function notify(counts: unknown): Promise<void>;
declare const rows: { line: number; text: string }[];
declare function requireAdmin(request: unknown, response: unknown, next: () => void): void;
