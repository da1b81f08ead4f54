import { useId, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { links } from '../paths.js';

/** The header's search: a job id, an idempotency key, or a payload field `path=value`. */
export function SearchBox() {
  const { route } = useLocation();
  const [q, setQ] = useState('');
  const id = useId();
  return (
    <search>
      <form
        class="search"
        onSubmit={(event) => {
          event.preventDefault();
          const query = q.trim();
          if (query !== '') route(links.search(query));
        }}
      >
        <label for={id} class="visually-hidden">
          Find a job by id, idempotency key or payload field (path=value)
        </label>
        <input
          id={id}
          type="search"
          data-testid="search-input"
          placeholder="Job id, key, or user.id=42"
          value={q}
          onInput={(event) => setQ(event.currentTarget.value)}
        />
        <button type="submit" class="button">
          Search
        </button>
      </form>
    </search>
  );
}
