import { useConnectionStatus } from '../live.js';

const LABELS = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' } as const;

/** The live connection's state, in the header. */
export function ConnectionStatus() {
  const status = useConnectionStatus();
  return (
    <span class={`connection connection-${status}`} data-testid="connection-status" role="status">
      <span class="connection-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
