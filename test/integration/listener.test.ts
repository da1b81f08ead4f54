import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { Listener } from '../../src/wake/listener.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url });
const warnings: string[] = [];
const listener = new Listener({
  connection: { connectionString: db.url },
  logger: { warn: (message) => warnings.push(message), error: () => undefined },
  probeChannel: 'test.probe',
  sendProbe: async (channel, payload) => {
    await sql.query('SELECT pg_notify($1, $2)', [channel, payload]);
  },
  probeTimeoutMs: 3000,
  reprobeMs: 30_000,
  livenessCheckMs: 10_000,
});
afterAll(async () => {
  await listener.close();
  await sql.end();
  await db.drop();
});

async function listenerConnections(): Promise<number> {
  const { rows } = await sql.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgpulse-listener' AND datname = current_database()",
  );
  return rows[0].n;
}

const notify = (channel: string, payload: string) =>
  sql.query('SELECT pg_notify($1, $2)', [channel, payload]);

test('subscribing LISTENs (shared by subscribers), the last unsubscribe lets go of the connection', async () => {
  const a: unknown[] = [];
  const b: unknown[] = [];
  const subA = listener.channel('test.one').subscribe((payload) => a.push(payload));
  const subB = listener.channel('test.one').subscribe((payload) => b.push(payload));
  await listener.ready('test.one');
  expect(listener.state$.value).toBe('listening');
  expect(await listenerConnections()).toBe(1);

  await notify('test.one', '{"n":1}');
  await notify('test.other', '{"n":"not for us"}');
  await waitFor(() => a.length === 1 && b.length === 1, 'both subscribers to get n=1');
  expect(a).toEqual([{ n: 1 }]);

  subA.unsubscribe();
  await notify('test.one', '{"n":2}');
  await waitFor(() => b.length === 2, 'the remaining subscriber to get n=2');
  expect(a).toEqual([{ n: 1 }]);

  subB.unsubscribe();
  await waitFor(async () => (await listenerConnections()) === 0, 'the LISTEN connection to close');
  expect(listener.state$.value).toBe('idle');

  const c: unknown[] = [];
  const subC = listener.channel('test.one').subscribe((payload) => c.push(payload));
  await listener.ready('test.one');
  await notify('test.one', '{"n":3}');
  await waitFor(() => c.length === 1, 'a new subscriber after a reconnect');
  expect(c).toEqual([{ n: 3 }]);
  subC.unsubscribe();
});

test('a payload typed by hand that is not JSON is ignored, not fatal', async () => {
  const got: unknown[] = [];
  const sub = listener.channel('test.two').subscribe((payload) => got.push(payload));
  try {
    await listener.ready('test.two');
    await notify('test.two', 'not json {');
    await notify('test.two', '{"ok":true}');
    await waitFor(
      () => got.some((p) => (p as { ok?: boolean } | undefined)?.ok === true),
      'the good one',
    );
    expect(listener.state$.value).toBe('listening');
    expect(warnings).toEqual([]);
  } finally {
    sub.unsubscribe();
  }
});

// Regression: closing a listener while its connection probe waited left the probe's promise to
// reject unhandled ("no elements in sequence"), which killed `pgpulse watch` on Ctrl-C.
test('closing while the connection probe is in flight leaves nothing unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  let release: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => {
    release = resolve;
  });
  let probed: () => void = () => undefined;
  const probeCalled = new Promise<void>((resolve) => {
    probed = resolve;
  });
  const probing = new Listener({
    connection: { connectionString: db.url },
    logger: { warn: () => undefined, error: () => undefined },
    probeChannel: 'test.slow-probe',
    // The probe is "sent" only once the listener has begun closing: it can never arrive.
    sendProbe: async () => {
      probed();
      await sent;
    },
    probeTimeoutMs: 60_000,
    reprobeMs: 30_000,
    livenessCheckMs: 10_000,
  });
  try {
    const sub = probing.channel('test.three').subscribe();
    await probeCalled;
    const closing = probing.close();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    release();
    await closing;
    sub.unsubscribe();
    // Give any stray rejection its turns of the event loop.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

// Found by a full benchmark run: a worker started while its process's pool was busy (a steady
// load of sends) declared LISTEN unusable and ran on polling alone for good. The probe's
// notification waited its turn for a pooled connection longer than the probe's timeout, which
// counted from before the send. It counts from the NOTIFY's commit now, and a probe that fails
// is tried again later.
test('a probe whose send waits for a busy pool still finds notifications working', async () => {
  const slow = new Listener({
    connection: { connectionString: db.url },
    logger: { warn: (message) => warnings.push(message), error: () => undefined },
    probeChannel: 'test.busy-probe',
    sendProbe: async (channel, payload) => {
      await new Promise((resolve) => setTimeout(resolve, 300)); // queued behind other statements
      await notify(channel, payload);
    },
    probeTimeoutMs: 100,
    reprobeMs: 3_600_000,
    livenessCheckMs: 10_000,
  });
  const before = warnings.length;
  try {
    const sub = slow.channel('test.busy').subscribe();
    expect(await slow.whenReady('test.busy')).toBe('listening');
    sub.unsubscribe();
    expect(warnings.length).toBe(before);
  } finally {
    await slow.close();
  }
});

test('after a probe that got nothing, a later probe puts notifications back', async () => {
  let probes = 0;
  const flaky = new Listener({
    connection: { connectionString: db.url },
    logger: { warn: (message) => warnings.push(message), error: () => undefined },
    probeChannel: 'test.lost-probe',
    sendProbe: async (channel, payload) => {
      // The first probe's notification is lost (as through a pooler, or to a stalled process).
      if (++probes > 1) await notify(channel, payload);
    },
    probeTimeoutMs: 100,
    reprobeMs: 50,
    livenessCheckMs: 10_000,
  });
  const received: unknown[] = [];
  try {
    const sub = flaky.channel('test.back').subscribe((payload) => received.push(payload));
    expect(await flaky.whenReady('test.back')).toBe('unavailable');
    expect(warnings.at(-1)).toContain('LISTEN/NOTIFY does not work on this connection');
    await waitFor(() => flaky.state$.value === 'listening', 'the second probe');
    await flaky.ready('test.back');
    await notify('test.back', '{"n":1}');
    await waitFor(() => received.length === 1, 'a notification after the second probe');
    expect(received).toEqual([{ n: 1 }]);
    sub.unsubscribe();
  } finally {
    await flaky.close();
  }
});
