/**
 * The dashboard's browser entry: reads the session (read-only flag, CSRF token), opens the live
 * feed and renders the app into `#app`. Bundled by scripts/build-dashboard.ts with the styles.
 */
import 'uplot/dist/uPlot.min.css';
import './styles/base.css';
import './styles/tables.css';
import './styles/pages.css';
import { render } from 'preact';
import type { SessionInfo } from '../api-types.js';
import { describeError, get, setCsrfToken } from './api.js';
import { App } from './app.js';
import { liveFeed } from './live.js';

async function start(root: HTMLElement): Promise<void> {
  let session: SessionInfo;
  try {
    session = await get<SessionInfo>('/session');
  } catch (error) {
    render(
      <main class="main">
        <h1>pgpulse</h1>
        <div class="alert alert-error" role="alert">
          Could not open the dashboard: {describeError(error)}
        </div>
      </main>,
      root,
    );
    return;
  }
  setCsrfToken(session.csrfToken);
  liveFeed.start();
  render(<App session={session} />, root);
}

const root = document.getElementById('app');
if (root !== null) void start(root);
