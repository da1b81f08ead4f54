import { useState } from 'preact/hooks';
import { send } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { Dialog } from '../components/dialog.js';
import { useAction } from '../hooks.js';

/**
 * Purge with a typed confirmation: the button stays disabled until the operator has typed the
 * queue's name (the server refuses otherwise too).
 */
export function PurgeDialog(props: { queue: string; onPurged: (deleted: number) => void }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const action = useAction();
  const { queue } = props;
  const close = () => {
    setOpen(false);
    setTyped('');
    action.clear();
  };
  const purge = async () => {
    const result = await action.run(() =>
      send<{ deleted: number }>('POST', `/queues/${encodeURIComponent(queue)}/purge`, {
        confirm: typed,
      }),
    );
    if (result !== undefined) {
      close();
      props.onPurged(result.deleted);
    }
  };
  return (
    <>
      <button
        type="button"
        class="button danger"
        data-testid="purge-button"
        onClick={() => setOpen(true)}
      >
        Purge…
      </button>
      <Dialog open={open} title={`Purge queue ${queue}`} onClose={close}>
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            if (typed === queue) void purge();
          }}
        >
          <p>
            This deletes every job of <strong>{queue}</strong> that is not running. It cannot be
            undone.
          </p>
          <label class="field">
            <span>
              Type <code>{queue}</code> to confirm
            </span>
            <input
              type="text"
              autoComplete="off"
              spellcheck={false}
              data-testid="purge-confirm-input"
              value={typed}
              onInput={(event) => setTyped(event.currentTarget.value)}
            />
          </label>
          <ErrorAlert error={action.error} />
          <div class="actions">
            <button type="button" class="button" onClick={close}>
              Keep the jobs
            </button>
            <button
              type="submit"
              class="button danger"
              data-testid="purge-submit"
              disabled={typed !== queue || action.busy}
            >
              Purge {queue}
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
