import type { LogFields, Logger } from '../../src/index.js';

/** One line a {@link recordingLogger} was told. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger of every level that keeps what it is told, so that tests can read the log. */
export function recordingLogger(): { lines: LogLine[]; logger: Required<Logger> } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: LogFields): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}
