import { describe, expect, test } from 'vitest';
import { resolveQueueOptions } from '../../src/config/options.js';
import { type LogFields, pinoLogger } from '../../src/index.js';
import { resolveLogger } from '../../src/kernel/logger.js';

const fields: LogFields = { scope: 'pgpulse.worker', queue: 'emails' };

/** What pino looks like from outside: (fields, message) methods, `levels`, `bindings()`. */
function fakePino() {
  const calls: unknown[][] = [];
  const method =
    (level: string) =>
    (...args: unknown[]) =>
      calls.push([level, ...args]);
  return {
    calls,
    logger: {
      levels: { values: { debug: 20, info: 30, warn: 40, error: 50 }, labels: {} },
      bindings: () => ({}),
      child: () => undefined,
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
    },
  };
}

describe('the logger', () => {
  test('a logger of (message, fields) is called in that order, at every level it has', () => {
    const calls: unknown[][] = [];
    const logger = resolveLogger({
      info: (message: string, f: LogFields) => calls.push(['info', message, f]),
      warn: (message: string, f: LogFields) => calls.push(['warn', message, f]),
      error: (message: string, f: LogFields) => calls.push(['error', message, f]),
    });
    logger?.debug('dropped: this logger has no debug', fields);
    logger?.info('retrying', fields);
    logger?.warn('dead', fields);
    expect(calls).toEqual([
      ['info', 'retrying', fields],
      ['warn', 'dead', fields],
    ]);
  });

  test('methods are called on the logger itself (a class instance keeps its this)', () => {
    class Prefixed {
      readonly lines: string[] = [];
      warn(message: string) {
        this.lines.push(`[app] ${message}`);
      }
      error(message: string) {
        this.lines.push(`[app] ${message}`);
      }
    }
    const instance = new Prefixed();
    resolveLogger(instance)?.warn('careful', fields);
    expect(instance.lines).toEqual(['[app] careful']);
  });

  test('pinoLogger puts the fields first, as pino and bunyan want them', () => {
    const { calls, logger } = fakePino();
    pinoLogger(logger).warn('dead', fields);
    expect(calls).toEqual([['warn', fields, 'dead']]);
  });

  test('a pino logger given as it is is recognised, so its fields are not dropped', () => {
    const { calls, logger } = fakePino();
    resolveQueueOptions({ connectionString: 'postgres://x@y/z', logger }).logger.info(
      'retrying',
      fields,
    );
    expect(calls).toEqual([['info', fields, 'retrying']]);
  });

  test('the default is the console without debug and info; console itself logs every level', () => {
    const { logger } = resolveQueueOptions({ connectionString: 'postgres://x@y/z' });
    const seen: unknown[][] = [];
    const { debug, info } = console;
    console.debug = (...args: unknown[]) => seen.push(args);
    console.info = (...args: unknown[]) => seen.push(args);
    try {
      logger.debug('quiet', fields);
      logger.info('quiet', fields);
      expect(seen).toEqual([]);
      const all = resolveQueueOptions({ connectionString: 'postgres://x@y/z', logger: console });
      all.logger.info('heard', fields);
      expect(seen).toEqual([['heard', fields]]);
    } finally {
      console.debug = debug;
      console.info = info;
    }
  });

  test('something without warn and error is refused', () => {
    expect(resolveLogger({ info: () => undefined })).toBeUndefined();
    expect(resolveLogger('console')).toBeUndefined();
  });
});
