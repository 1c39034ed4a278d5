/**
 * What became of a print job (a reprint, the shift report, a test page): printed, or the problem in
 * words and that the job waits in the print queue; or a wait that says what it is waiting for.
 */
import type { PrintOutcome } from '../api/contract.ts';
import { useI18n } from '../i18n/context.ts';

export type PrintState =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'done'; outcome: PrintOutcome }
  /** The request itself failed (host unreachable, refused): nothing was queued. */
  | { kind: 'failed'; message: string };

interface Props {
  state: PrintState;
  /** What the wait says ("Printing the receipt…"). */
  busyText: string;
  /** What a success says; default "Printed." */
  doneText?: string;
}

export function PrintOutcomeNote({ state, busyText, doneText }: Props) {
  const { t } = useI18n();
  switch (state.kind) {
    case 'idle':
      return null;
    case 'busy':
      return (
        <p class="print-note print-note--busy" role="status">
          <span class="busy-dot" aria-hidden="true" /> {busyText}
        </p>
      );
    case 'failed':
      return (
        <p class="print-note print-note--problem" role="alert">
          {t('print.failed', { message: state.message })}
        </p>
      );
    case 'done':
      return state.outcome.printed ? (
        <p class="print-note print-note--printed" role="status" data-printed="true">
          {doneText ?? t('print.printed')}
        </p>
      ) : (
        <p class="print-note print-note--problem" role="alert" data-printed="false">
          <strong>{t('print.notPrinted', { problem: state.outcome.problem ?? '' })}</strong>{' '}
          <span>{t('print.queued')}</span>
        </p>
      );
  }
}
