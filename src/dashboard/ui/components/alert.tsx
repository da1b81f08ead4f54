import { describeError } from '../api.js';

/** An API failure (or any error) as a visible alert; nothing when there is none. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <div class="alert alert-error" role="alert">
      {describeError(error)}
    </div>
  );
}

/** A success or information message, announced politely. */
export function Notice({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <div class="alert alert-info" role="status">
      {message}
    </div>
  );
}
