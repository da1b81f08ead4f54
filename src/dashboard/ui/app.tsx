import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { SessionInfo } from '../api-types.js';
import { ConnectionStatus } from './components/connection-status.js';
import { SearchBox } from './components/search-box.js';
import { DeadPage } from './pages/dead.js';
import { FlowPage } from './pages/flow.js';
import { FlowsPage } from './pages/flows.js';
import { JobPage } from './pages/job.js';
import { NotFoundPage } from './pages/not-found.js';
import { OverviewPage } from './pages/overview.js';
import { QueuePage } from './pages/queue.js';
import { SchedulesPage } from './pages/schedules.js';
import { SearchPage } from './pages/search.js';
import { WorkersPage } from './pages/workers.js';
import { base, links, routes } from './paths.js';
import { SessionContext } from './session.js';

const NAV = [
  { label: 'Overview', href: links.overview(), match: routes.overview },
  { label: 'Dead letters', href: links.dead(), match: routes.dead },
  { label: 'Schedules', href: links.schedules(), match: routes.schedules },
  { label: 'Flows', href: links.flows(), match: routes.flows },
  { label: 'Workers', href: links.workers(), match: routes.workers },
];

/** Only links under the base path are routed in the page; others load normally. */
const scope =
  base === '' ? undefined : new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|$)`);

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

function Nav() {
  const { path } = useLocation();
  const current = trimSlash(path);
  return (
    <nav class="nav" aria-label="Sections">
      {NAV.map((item) => {
        const target = trimSlash(item.match);
        const active =
          current === target ||
          (target !== trimSlash(routes.overview) && current.startsWith(`${target}/`));
        return (
          <a
            key={item.label}
            href={item.href}
            class={active ? 'active' : undefined}
            aria-current={active ? 'page' : undefined}
          >
            {item.label}
          </a>
        );
      })}
    </nav>
  );
}

/** The whole page: header (brand, sections, search, connection) and the routed page. */
export function App({ session }: { session: SessionInfo }) {
  return (
    <SessionContext.Provider value={session}>
      <LocationProvider scope={scope}>
        <header class="header">
          <div class="header-inner">
            <a class="brand" href={links.overview()}>
              pgpulse
            </a>
            <Nav />
            <SearchBox />
            {session.readOnly && <span class="readonly-tag">read-only</span>}
            <ConnectionStatus />
          </div>
        </header>
        <main class="main">
          <Router>
            <Route path={routes.overview} component={OverviewPage} />
            <Route path={routes.queue} component={QueuePage} />
            <Route path={routes.job} component={JobPage} />
            <Route path={routes.dead} component={DeadPage} />
            <Route path={routes.schedules} component={SchedulesPage} />
            <Route path={routes.flows} component={FlowsPage} />
            <Route path={routes.flow} component={FlowPage} />
            <Route path={routes.workers} component={WorkersPage} />
            <Route path={routes.search} component={SearchPage} />
            <Route default component={NotFoundPage} />
          </Router>
        </main>
        <footer class="footer">pgpulse {session.version}</footer>
      </LocationProvider>
    </SessionContext.Provider>
  );
}
