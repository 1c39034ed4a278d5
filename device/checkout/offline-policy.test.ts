import { describe, expect, it } from 'vitest';
import type { OfflineStats } from '../../sync/journal/journal.ts';
import type { OfflineLimits } from '../config/settings.ts';
import { evaluateOfflinePolicy, offlineRoom } from './offline-policy.ts';

const cny = (minor: number) => ({ minor, currency: 'CNY' });
const limits: OfflineLimits = {
  perPayment: cny(20_000),
  totalStored: cny(200_000),
  maxStoredCount: 200,
  maxHoursSinceSync: 72,
};
const now = new Date('2026-11-25T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
const stats = (over: Partial<OfflineStats> = {}): OfflineStats => ({
  pending: 0,
  totals: {},
  oldestCapturedAt: null,
  inDoubt: 0,
  lastSyncAt: hoursAgo(1),
  createdAt: hoursAgo(1000),
  forwardingBlocked: null,
  ...over,
});
const limitsHit = (s: OfflineStats, minor: number) =>
  evaluateOfflinePolicy(limits, s, cny(minor), now).map((r) => r.limit);

describe('offline policy', () => {
  it('per payment: ¥200.00 is accepted, ¥200.01 is refused by ¥0.01', () => {
    expect(limitsHit(stats(), 20_000)).toEqual([]);
    const [refusal] = evaluateOfflinePolicy(limits, stats(), cny(20_001), now);
    expect(refusal).toMatchObject({ limit: 'perPayment', max: 20_000, value: 20_001, over: 1 });
    expect(refusal?.message).toContain('¥200.00');
    expect(refusal?.message).toContain('¥0.01 over');
  });

  it('total stored: up to ¥2,000.00 including this payment', () => {
    const s = stats({ pending: 10, totals: { CNY: 190_000 } });
    expect(limitsHit(s, 10_000)).toEqual([]);
    const [refusal] = evaluateOfflinePolicy(limits, s, cny(10_001), now);
    expect(refusal).toMatchObject({ limit: 'totalStored', max: 200_000, value: 200_001, over: 1 });
    expect(refusal?.message).toContain('¥1,900.00 is stored');
  });

  it('count: the 200th stored payment is accepted, the 201st refused', () => {
    expect(limitsHit(stats({ pending: 199 }), 1)).toEqual([]);
    expect(evaluateOfflinePolicy(limits, stats({ pending: 200 }), cny(1), now)[0]).toMatchObject({
      limit: 'storedCount',
      max: 200,
      value: 201,
      over: 1,
    });
  });

  it('time since last sync: exactly 72 h is accepted, beyond is refused', () => {
    expect(limitsHit(stats({ lastSyncAt: hoursAgo(72) }), 100)).toEqual([]);
    // A minute past is past: not rounded down to whole hours.
    expect(limitsHit(stats({ lastSyncAt: hoursAgo(72 + 1 / 60) }), 100)).toEqual(['sinceSync']);
    const [refusal] = evaluateOfflinePolicy(limits, stats({ lastSyncAt: hoursAgo(73.5) }), cny(100), now);
    expect(refusal).toMatchObject({ limit: 'sinceSync', max: 72, value: 73.5, over: 1.5 });
    expect(refusal?.message).toContain('73 h 30 min ago, 1 h 30 min over');
    // Seconds past the limit are said as such, never "0 h over".
    const [just] = evaluateOfflinePolicy(
      limits,
      stats({ lastSyncAt: hoursAgo(72 + 4 / 3600) }),
      cny(100),
      now,
    );
    expect(just).toMatchObject({ limit: 'sinceSync', over: 0.01 });
    expect(just?.message).toContain('under a minute over');
  });

  it('a clock set back before the last sync refuses offline payments: the time since it is unknown', () => {
    // Within five minutes (an NTP step, drift) the clock is trusted.
    expect(limitsHit(stats({ lastSyncAt: hoursAgo(-4 / 60) }), 100)).toEqual([]);
    const behind = stats({ lastSyncAt: hoursAgo(-8760) });
    const [refusal] = evaluateOfflinePolicy(limits, behind, cny(100), now);
    expect(refusal).toMatchObject({ limit: 'clock', max: 0, value: 8760, over: 8760, unit: 'hours' });
    expect(refusal?.message).toContain('8760 h before its last sync');
    expect(offlineRoom(limits, behind, now)).toMatchObject({
      nextPaymentMax: cny(0),
      hoursLeft: 0,
      clockBehind: true,
    });
    // Before the first sync, the set-up time is the mark.
    const [setUp] = evaluateOfflinePolicy(
      limits,
      stats({ lastSyncAt: null, createdAt: hoursAgo(-1) }),
      cny(100),
      now,
    );
    expect(setUp?.message).toContain('1 h before the time it was set up');
  });

  it('before the first sync, counts from when the terminal was set up', () => {
    expect(limitsHit(stats({ lastSyncAt: null, createdAt: hoursAgo(71) }), 100)).toEqual([]);
    const [refusal] = evaluateOfflinePolicy(
      limits,
      stats({ lastSyncAt: null, createdAt: hoursAgo(80) }),
      cny(100),
      now,
    );
    expect(refusal?.message).toContain('has not synced since it was set up');
  });

  it('takes no offline payment while the core refuses this terminal for good (revoked, journal not its own)', () => {
    const revoked = stats({
      forwardingBlocked: { code: 'TERMINAL_REVOKED', message: 'revoked by the operator.', at: hoursAgo(2) },
    });
    const [refusal] = evaluateOfflinePolicy(limits, revoked, cny(100), now);
    expect(refusal).toMatchObject({ limit: 'forwarding', max: 0, value: 1, over: 1 });
    expect(refusal?.message).toContain('The payment core has revoked this terminal');
    expect(refusal?.message).toContain('revoked by the operator.');
    expect(offlineRoom(limits, revoked, now)).toMatchObject({
      nextPaymentMax: cny(0),
      forwardingBlocked: 'TERMINAL_REVOKED',
    });
    const behind = stats({
      forwardingBlocked: { code: 'JOURNAL_BEHIND', message: 'older copy.', at: hoursAgo(1) },
    });
    expect(evaluateOfflinePolicy(limits, behind, cny(100), now)[0]?.message).toContain(
      "does not recognise this terminal's journal",
    );
  });

  it('names every limit broken at once', () => {
    const s = stats({ pending: 200, totals: { CNY: 199_000 }, lastSyncAt: hoursAgo(100) });
    expect(limitsHit(s, 30_000)).toEqual(['perPayment', 'totalStored', 'storedCount', 'sinceSync']);
  });

  it('takes offline payments in the terminal currency only', () => {
    const r = evaluateOfflinePolicy(limits, stats(), { minor: 100, currency: 'USD' }, now);
    expect(r.map((x) => x.limit)).toEqual(['currency']);
  });

  it('a zero count limit disables offline payments', () => {
    expect(limitsHit(stats(), 1)).toEqual([]);
    expect(evaluateOfflinePolicy({ ...limits, maxStoredCount: 0 }, stats(), cny(1), now)[0]?.limit).toBe(
      'storedCount',
    );
  });

  it('reports the room left under each limit', () => {
    const room = offlineRoom(
      limits,
      stats({ pending: 3, totals: { CNY: 195_000 }, lastSyncAt: hoursAgo(70) }),
      now,
    );
    expect(room).toEqual({
      nextPaymentMax: cny(5_000),
      totalStored: cny(5_000),
      storedCount: 197,
      syncDueBy: new Date(now.getTime() + 2 * 3_600_000).toISOString(),
      hoursLeft: 2,
      clockBehind: false,
      forwardingBlocked: null,
    });
    // At exactly 72 h the policy still accepts, so the room says so too; a minute later it is shut.
    expect(offlineRoom(limits, stats({ lastSyncAt: hoursAgo(72) }), now)).toMatchObject({
      nextPaymentMax: cny(20_000),
      hoursLeft: 0,
    });
    expect(offlineRoom(limits, stats({ lastSyncAt: hoursAgo(72 + 1 / 60) }), now)).toMatchObject({
      nextPaymentMax: cny(0),
    });
    expect(offlineRoom(limits, stats({ lastSyncAt: hoursAgo(80) }), now)).toMatchObject({
      nextPaymentMax: cny(0),
      hoursLeft: 0,
    });
  });
});
