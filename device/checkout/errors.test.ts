import { describe, expect, it } from 'vitest';
import { JournalError } from '../../sync/journal/errors.ts';
import { AnswerNotRecordedError } from './errors.ts';

const payment = { paymentId: 'p', seq: 42, amount: { minor: 1250, currency: 'CNY' } };

describe('AnswerNotRecordedError', () => {
  it('says what the core did, why the terminal could not record it, and what to fix', () => {
    const full = new JournalError('DISK_FULL', 'No space left for the journal …', 'journal.sqlite');
    expect(new AnswerNotRecordedError(payment, 'approved', full).message).toBe(
      'The payment core APPROVED payment 42 (¥12.50): the customer has paid. This terminal could not record that (its data disk is full). Do not take the money again. Free space on the data disk; the next sync then records the payment approved.',
    );
    const readOnly = new JournalError('READ_ONLY', 'The data folder …', 'journal.sqlite');
    expect(new AnswerNotRecordedError(payment, 'in_doubt', readOnly).message).toContain(
      "could not record that the payment is in doubt (its data folder can't be written). Do not take the money again. Make the data disk writable;",
    );
    const io = new JournalError('IO', 'Disk on fire.', 'journal.sqlite');
    expect(new AnswerNotRecordedError(payment, 'approved', io).message).toContain(
      '(Disk on fire). Do not take the money again. Call a technician;',
    );
  });
});
