import { describe, expect, test } from 'vitest';
import { translator } from '../i18n/dictionary.ts';
import { checkout, payment, queue } from '../testing/builders.ts';
import { type OfflineLimit, offlineLimitsBroken } from './offline-room.ts';
import { describeLimit, describeResult } from './outcome.ts';

const zh = translator('zh-CN');
const en = translator('en');

describe('the result of a checkout, in words', () => {
  test('accepted offline says the payment is stored and will be forwarded', () => {
    const view = describeResult(checkout({ phase: 'done', payment: payment() }), null, en);
    expect(view.tone).toBe('offline');
    expect(view.title).toBe('Accepted offline');
    expect(view.lines.join(' ')).toMatch(/stored on this terminal.*forwarded/);
  });

  test('an offline decline names the limit and the figures, in both languages', () => {
    const declined = payment({
      amount: 20001,
      status: 'declined',
      reason: 'Offline payments are limited to ¥200.00 each; this one is ¥200.01, ¥0.01 over.',
    });
    const done = checkout({ phase: 'done', payment: declined });
    const zhView = describeResult(done, queue(), zh);
    expect(zhView.tone).toBe('declined');
    expect(zhView.lines[0]).toBe('超过离线单笔限额 ¥200.00，多了 ¥0.01');
    expect(describeResult(done, queue(), en).lines[0]).toBe(
      'Over the offline limit of ¥200.00 per payment, by ¥0.01',
    );
    expect(zhView.recorded).toBe(declined.reason);
  });

  test("an online decline gives the core's reason in a cashier's words", () => {
    const done = checkout({
      phase: 'done',
      payment: payment({ mode: 'online', status: 'declined', reason: 'insufficient balance' }),
    });
    expect(describeResult(done, null, zh).lines[0]).toBe('顾客余额不足。');
    expect(describeResult(done, null, en).lines[0]).toBe("The customer's balance is too low.");
  });

  test("a QR order's end, as the terminal records it, in a cashier's words", () => {
    const declined = (reason: string) =>
      checkout({
        phase: 'done',
        payment: payment({
          scheme: 'merchant_qr',
          codeMasked: 'QR',
          mode: 'online',
          status: 'declined',
          reason,
        }),
      });
    const expired = describeResult(declined('the customer did not pay within 120 s'), null, zh);
    expect(expired.tone).toBe('declined');
    expect(expired.lines[0]).toBe('顾客没有在收款码有效期内付款，订单已取消。');
    expect(expired.recorded).toBe('the customer did not pay within 120 s');
    expect(
      describeResult(
        declined(
          "The payment core can't be reached, and a QR payment needs it: scan the customer's payment code instead.",
        ),
        null,
        en,
      ).lines[0],
    ).toBe(
      "The payment core cannot be reached, and a QR payment needs it. Scan the customer's payment code instead.",
    );
    expect(
      describeResult(declined('cancelled at the till before the customer paid'), null, en).lines[0],
    ).toBe('The QR code was cancelled at the till before the customer paid.');
  });

  test('a payment in doubt says the customer must not pay again, and is not final', () => {
    const done = checkout({ phase: 'done', payment: payment({ mode: 'online', status: 'unknown' }) });
    const view = describeResult(done, null, zh);
    expect(view.tone).toBe('unknown');
    expect(view.pending).toBe(true);
    expect(view.title).toBe('正在与支付平台核实这笔付款');
    expect(view.lines[0]).toBe('请勿让顾客再次付款');
  });

  test('a failure says why in words, and that nothing was charged', () => {
    const failed = checkout({
      phase: 'failed',
      error: { code: 'CODE_USED', message: 'This payment code was already used on this terminal.' },
    });
    const view = describeResult(failed, null, zh);
    expect(view.tone).toBe('failed');
    expect(view.lines).toEqual([
      '这个付款码已经用过了。请顾客刷新付款码后再扫。',
      '没有记录任何付款，顾客未被扣款。',
    ]);
    const other = describeResult(
      checkout({ phase: 'failed', error: { code: 'X', message: 'Disk on fire.' } }),
      null,
      en,
    );
    expect(other.lines[0]).toBe('Disk on fire.');
  });

  test('an answer the terminal could not record says the customer has paid, or may have; never "not charged"', () => {
    const message = 'The payment core APPROVED payment 7 (¥12.50): the customer has paid. …';
    const view = describeResult(
      checkout({ phase: 'failed', error: { code: 'APPROVED_NOT_RECORDED', message } }),
      null,
      zh,
    );
    expect(view.tone).toBe('unknown');
    expect(view.title).toBe('收款成功，但本机未能保存');
    expect(view.lines[0]).toBe('请勿让顾客再次付款');
    expect(view.lines.join('')).not.toContain('未被扣款');
    expect(view.recorded).toBe(message);
    const inDoubt = describeResult(
      checkout({ phase: 'failed', error: { code: 'IN_DOUBT_NOT_RECORDED', message: 'No answer …' } }),
      null,
      en,
    );
    expect(inDoubt.title).toBe('The customer may have paid, but this terminal could not save it');
    expect(inDoubt.lines[0]).toBe('The customer must not pay again');
    expect(inDoubt.lines[1]).toMatch(/^The payment core did not answer in time/);
    expect(view.lines[1]).toMatch(/^支付平台已确认这笔付款，顾客已付款/);
  });
});

describe('offline limits from the room the host reports', () => {
  test('names each limit a payment would break', () => {
    const room = queue({
      pending: 199,
      totalStored: { minor: 10000, currency: 'CNY' },
      storedCount: 0,
      hoursLeft: 0,
    });
    expect(offlineLimitsBroken(room, 20001).map((l) => l.limit)).toEqual([
      'perPayment',
      'totalStored',
      'storedCount',
      'sinceSync',
    ]);
    expect(offlineLimitsBroken(queue(), 20000)).toEqual([]);
    // A clock behind the last sync is named as such, not as a sync overdue.
    const behind = offlineLimitsBroken(queue({ hoursLeft: 0, clockBehind: true }), 100);
    expect(behind).toEqual([{ limit: 'clock' }]);
    expect(describeLimit(behind[0] as OfflineLimit, en)).toContain('clock reads earlier than its last sync');
    const revoked = offlineLimitsBroken(queue({ forwardingBlocked: 'TERMINAL_REVOKED' }), 100);
    expect(revoked).toEqual([{ limit: 'forwarding', code: 'TERMINAL_REVOKED' }]);
    expect(describeLimit(revoked[0] as OfflineLimit, en)).toContain('has revoked this terminal');
    expect(offlineLimitsBroken(queue(), 20001)).toEqual([
      {
        limit: 'perPayment',
        max: { minor: 20000, currency: 'CNY' },
        over: { minor: 1, currency: 'CNY' },
      },
    ]);
  });
});
