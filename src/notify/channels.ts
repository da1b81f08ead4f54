/** The NOTIFY channels of one schema, so two schemas in one database never cross-talk. */
export interface Channels {
  /**
   * The jobs channel (see jobs-channel.ts): jobs that became pending, cancelled running jobs and
   * changed queue settings. One channel for all keeps the LISTEN connection to two channels,
   * which pg-listen restores after a reconnect without piling queries on its client.
   */
  readonly jobs: string;
  /** Lifecycle events, as JSON arrays, sent only while someone watches. */
  readonly events: string;
}

/** The channel names of a validated schema; they match the literals in the SQL files. */
export function channelsFor(schema: string): Channels {
  return Object.freeze({
    jobs: `${schema}.jobs`,
    events: `${schema}.events`,
  });
}
