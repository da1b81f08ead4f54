import type { ResolvedQueueOptions } from './options.js';

/**
 * The options as a queue shows them (`queue.options`): every connection string with its password
 * replaced by `***`, so that logging or serialising them leaks nothing. The queue connects with
 * the options as given.
 */
export function withoutPasswords(options: ResolvedQueueOptions): ResolvedQueueOptions {
  const { connection, listenConnectionString } = options;
  return Object.freeze({
    ...options,
    connection:
      connection.kind === 'url'
        ? Object.freeze({
            ...connection,
            connectionString: hidePassword(connection.connectionString),
          })
        : connection,
    listenConnectionString:
      listenConnectionString === null ? null : hidePassword(listenConnectionString),
  });
}

const SECRET_PARAMETERS = ['password', 'sslpassword', 'sslkey'];

/** A connection string with its password replaced by `***` (one that is not a URL as it is). */
function hidePassword(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    // node-postgres also reads any query parameter as a connection setting (`?password=`).
    const inQuery = SECRET_PARAMETERS.filter((name) => url.searchParams.has(name));
    if (url.password === '' && inQuery.length === 0) return connectionString;
    if (url.password !== '') url.password = '***';
    for (const name of inQuery) url.searchParams.set(name, '***');
    return url.toString();
  } catch {
    return connectionString; // a socket directory: no password in it
  }
}
