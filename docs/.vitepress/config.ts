import { existsSync, readFileSync } from 'node:fs';
import { type DefaultTheme, defineConfig } from 'vitepress';

// The API reference is generated from the TSDoc of the public entry points (`npm run docs:api`,
// TypeDoc, @internal stripped) into docs/api/, with a sidebar of its own.
const apiSidebarFile = new URL('../api/typedoc-sidebar.json', import.meta.url);
const MODULE_TITLES: Record<string, string> = {
  index: 'pgpulse',
  testing: 'pgpulse/testing',
  dashboard: 'pgpulse/dashboard',
};
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? (JSON.parse(readFileSync(apiSidebarFile, 'utf8')) as DefaultTheme.SidebarItem[]).map(
      (item) => ({ ...item, text: MODULE_TITLES[item.text ?? ''] ?? item.text }),
    )
  : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Start',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Producing jobs', link: '/guide/producing' },
      { text: 'Consuming jobs', link: '/guide/consuming' },
      { text: 'Typed jobs', link: '/guide/typed-jobs' },
      { text: 'Transactions', link: '/guide/transactions' },
      { text: 'Recurring schedules', link: '/guide/schedules' },
      { text: 'Flows', link: '/guide/flows' },
      { text: 'Groups and explain', link: '/guide/groups' },
    ],
  },
  {
    text: 'Running it',
    items: [
      { text: 'Dashboard', link: '/guide/dashboard' },
      { text: 'Events, logging, metrics', link: '/guide/observability' },
      { text: 'Shutdown and readiness', link: '/guide/shutdown' },
      { text: 'Testing', link: '/guide/testing' },
      { text: 'Queue control', link: '/guide/queue-control' },
      { text: 'Deploying', link: '/guide/deploying' },
      { text: 'Upgrading', link: '/guide/upgrading' },
      { text: 'Least privilege', link: '/guide/least-privilege' },
      { text: 'PgBouncer', link: '/guide/pgbouncer' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: 'Configuration', link: '/guide/configuration' },
      { text: 'Errors', link: '/guide/errors' },
      { text: 'Command line', link: '/guide/cli' },
      { text: 'Schema and notifications', link: '/guide/schema' },
      { text: 'API', link: '/api/' },
    ],
  },
];

const recipes: DefaultTheme.SidebarItem[] = [
  {
    text: 'Recipes',
    items: [
      { text: 'Express', link: '/recipes/express' },
      { text: 'Fastify', link: '/recipes/fastify' },
      { text: 'NestJS', link: '/recipes/nestjs' },
      { text: 'Next.js and serverless', link: '/recipes/nextjs' },
    ],
  },
];

export default defineConfig({
  title: 'pgpulse',
  description: 'A PostgreSQL-backed job queue for TypeScript with a low-latency streaming consumer',
  cleanUrls: true,
  lastUpdated: false,
  // A dead link fails the build (VitePress's default, said here so that nobody turns it off).
  ignoreDeadLinks: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Recipes', link: '/recipes/express' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guide/': guide,
      '/recipes/': recipes,
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar }],
    },
    search: { provider: 'local' },
    outline: [2, 3],
  },
});
