import { randomBytes } from 'node:crypto';
import type { Subscriber } from 'pg-listen';

/** The probe found that notifications do not arrive on this connection. */
export class ListenUnavailableError extends Error {}

/** What a probe needs. */
export interface ProbeOptions {
  /** A channel of the listener's own. */
  readonly channel: string;
  /** Sends a notification from another session, as a producer would. */
  readonly send: (channel: string, payload: string) => Promise<void>;
  /** How long to wait for it before declaring LISTEN unusable. */
  readonly timeoutMs: number;
}

/**
 * Checks that a notification sent from another session arrives on `subscriber`. Through a
 * pooler in transaction mode LISTEN succeeds but nothing ever arrives; this is how we find out.
 *
 * @throws ListenUnavailableError when it did not arrive in time; whatever sending it threw.
 */
export async function probeNotifications(
  subscriber: Subscriber,
  options: ProbeOptions,
): Promise<void> {
  const { channel, send, timeoutMs } = options;
  const token = randomBytes(8).toString('hex');
  let onNotification: ((message: { channel: string; payload?: unknown }) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut: () => void = () => undefined;
  // Settled into a boolean at once: if sending fails, nothing may be left to reject unhandled.
  const arrived = new Promise<boolean>((resolve) => {
    onNotification = ({ channel: from, payload }) => {
      if (from === channel && (payload as { probe?: string } | undefined)?.probe === token) {
        resolve(true);
      }
    };
    subscriber.events.on('notification', onNotification);
    timedOut = () => resolve(false);
  });
  try {
    await subscriber.listenTo(channel);
    await send(channel, JSON.stringify({ probe: token }));
    // Counted from the NOTIFY's commit, not from the call: a send that waited its turn in a busy
    // pool (a loaded process starting a worker) lost nothing.
    timer = setTimeout(timedOut, timeoutMs);
    if (!(await arrived)) {
      throw new ListenUnavailableError(
        `a notification sent to ${channel} did not arrive within ${timeoutMs} ms`,
      );
    }
  } finally {
    clearTimeout(timer);
    if (onNotification !== undefined)
      subscriber.events.removeListener('notification', onNotification);
    await subscriber.unlisten(channel)?.catch(() => undefined);
  }
}
