import { useTitle } from '../hooks.js';
import { links } from '../paths.js';

/** Any other path under the base. */
export function NotFoundPage() {
  useTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing here. Back to the <a href={links.overview()}>overview</a>.
      </p>
    </>
  );
}
