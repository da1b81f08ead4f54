/** The session of this page (`GET /session`), given to every component by context. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionInfo } from '../api-types.js';

export const SessionContext = createContext<SessionInfo>({
  readOnly: true,
  csrfToken: '',
  version: '',
});

/** The session; `readOnly` decides whether any mutation control is rendered. */
export function useSession(): SessionInfo {
  return useContext(SessionContext);
}
