import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** A PostgreSQL NotificationResponse message starts with the byte 'A'. */
const NOTIFICATION_RESPONSE = 0x41;

/**
 * A TCP proxy in front of PostgreSQL that passes everything through except notifications, as a
 * pooler in transaction mode effectively does to LISTEN: LISTEN succeeds, nothing ever arrives.
 * Server-to-client traffic is parsed as PostgreSQL messages (type byte, 32-bit length).
 */
export async function startNotifyDroppingProxy(
  target: URL,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const kept: Buffer[] = [];
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending.length < 1 + length) break;
        const message = pending.subarray(0, 1 + length);
        pending = pending.subarray(1 + length);
        if (message[0] !== NOTIFICATION_RESPONSE) kept.push(message);
      }
      if (kept.length > 0) client.write(Buffer.concat(kept));
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
