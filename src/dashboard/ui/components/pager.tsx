/** Keyset pagination: "First page" (when not on it) and "Next page" (when there is one). */
export function Pager(props: {
  onFirstPage: boolean;
  next: string | null;
  onFirst: () => void;
  onNext: (cursor: string) => void;
}) {
  const { next } = props;
  if (props.onFirstPage && next === null) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="button" disabled={props.onFirstPage} onClick={props.onFirst}>
        First page
      </button>
      <button
        type="button"
        class="button"
        disabled={next === null}
        onClick={() => next !== null && props.onNext(next)}
      >
        Next page
      </button>
    </nav>
  );
}
