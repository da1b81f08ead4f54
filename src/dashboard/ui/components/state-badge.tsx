/** A job, schedule or flow state as a coloured label (the colour only repeats the text). */
export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <span class={`badge state-${state}`} data-testid={testId}>
      {state}
    </span>
  );
}
