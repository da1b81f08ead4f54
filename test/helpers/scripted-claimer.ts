import { Claimer, type NextDue } from '../../src/claim/claimer.js';
import type { Context } from '../../src/db/context.js';

/**
 * A Claimer of one slot whose statements answer as `answer` says, for the tests of its decisions
 * (which statement it sends next, and when): the statements it asked for, in order, and the due
 * times it reported.
 */
export function scriptedClaimer(answer: (query: string) => unknown[] | Promise<unknown[]>) {
  const asked: string[] = [];
  const due: NextDue[] = [];
  const ctx = {
    options: { schema: 'pgpulse' },
    async run(query: string) {
      asked.push(query);
      return answer(query);
    },
  } as unknown as Context;
  const claimer = new Claimer({
    ctx,
    queue: 'q',
    claim: { batchSize: 1, leaseMs: 1000, workerId: 'w', tenant: null },
    free: () => 1,
    onClaimed: () => undefined,
    onNextDue: (next) => due.push(next),
    onRetryIn: () => undefined,
    onError: (error) => {
      throw error;
    },
  });
  return { claimer, asked, due };
}
