import { JournalError } from '../../sync/journal/errors.ts';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import { formatMoney } from '../../sync/protocol/money.ts';

/**
 * The payment core approved a payment, or may have (no answer), and the journal could not record
 * that (a full disk, another process holding it). The customer has paid, or may have: telling the
 * cashier "not recorded, try again" would take the money twice. The payment stays in the journal
 * as captured, in doubt, and the next sync that can write records it as the core has it.
 */
export class AnswerNotRecordedError extends Error {
  /** APPROVED_NOT_RECORDED: the customer has paid; IN_DOUBT_NOT_RECORDED: may have. */
  readonly code: 'APPROVED_NOT_RECORDED' | 'IN_DOUBT_NOT_RECORDED';
  constructor(
    readonly payment: Pick<PaymentRecord, 'paymentId' | 'seq' | 'amount'>,
    /** What the core said: approved, or no answer (in doubt). */
    readonly answer: 'approved' | 'in_doubt',
    override readonly cause: JournalError,
  ) {
    const { why, fix } = unrecordable(cause);
    const what = `payment ${payment.seq} (${formatMoney(payment.amount)})`;
    super(
      answer === 'approved'
        ? `The payment core APPROVED ${what}: the customer has paid. This terminal could not record that (${why}). Do not take the money again. ${fix}; the next sync then records the payment approved.`
        : `No answer from the payment core for ${what}, so the customer may have been charged, and this terminal could not record that the payment is in doubt (${why}). Do not take the money again. ${fix}; the next sync then asks the core and records the payment as it stands.`,
      { cause },
    );
    this.name = 'AnswerNotRecordedError';
    this.code = answer === 'approved' ? 'APPROVED_NOT_RECORDED' : 'IN_DOUBT_NOT_RECORDED';
  }
}

function unrecordable(err: JournalError): { why: string; fix: string } {
  switch (err.code) {
    case 'DISK_FULL':
      return { why: 'its data disk is full', fix: 'Free space on the data disk' };
    case 'BUSY':
      return {
        why: 'another program held its journal',
        fix: "Stop the other program using this terminal's data folder (another suanpan command, a second kiosk)",
      };
    case 'READ_ONLY':
      return { why: "its data folder can't be written", fix: 'Make the data disk writable' };
    default:
      return { why: err.message.replace(/\.$/, ''), fix: 'Call a technician' };
  }
}

/** Runs a journal write that records what the core did to a payment the customer may have paid. */
export function recordingAnswer<T>(
  payment: Pick<PaymentRecord, 'paymentId' | 'seq' | 'amount'>,
  answer: 'approved' | 'in_doubt',
  write: () => T,
): T {
  try {
    return write();
  } catch (err) {
    if (err instanceof JournalError && err.code !== 'ILLEGAL_TRANSITION' && err.code !== 'NOT_FOUND')
      throw new AnswerNotRecordedError(payment, answer, err);
    throw err;
  }
}
