import { meansOffline } from '../../../sync/client/errors.ts';
import { offlineRoom } from '../../checkout/offline-policy.ts';
import { openTerminal } from '../../terminal.ts';
import { moneyText, totalsText } from '../format.ts';
import { type CliIO, type CommandResult, noteReadCopy } from '../output.ts';

/** What is stored unsynced and how much offline room is left. */
export function queue(options: { dataDir: string }, io: CliIO): CommandResult {
  const terminal = openTerminal({
    dataDir: options.dataDir,
    env: io.env,
    create: false,
    readCopy: noteReadCopy(io),
  });
  try {
    const stats = terminal.journal.offlineStats();
    const limits = terminal.limits;
    const room = offlineRoom(limits, stats, new Date());
    const info = terminal.journal.syncInfo();
    // As the sync engine judges it, from the last attempt (queue runs apart from the engine).
    const online = info.lastAttemptAt === null ? null : !meansOffline(info.lastError?.code);
    const json = {
      pending: stats.pending,
      totals: stats.totals,
      oldestCapturedAt: stats.oldestCapturedAt,
      inDoubt: stats.inDoubt,
      lastSyncAt: stats.lastSyncAt,
      limits: {
        perPayment: limits.perPayment,
        totalStored: limits.totalStored,
        maxStoredCount: limits.maxStoredCount,
        maxHoursSinceSync: limits.maxHoursSinceSync,
      },
      remaining: room,
      sync: {
        activated: terminal.activation !== undefined,
        core: terminal.coreClient?.baseUrl ?? null,
        online,
        ...info,
      },
    };
    const text = [
      `Stored offline, not yet forwarded: ${stats.pending} payment${stats.pending === 1 ? '' : 's'}, ${totalsText(stats.totals)}` +
        (stats.oldestCapturedAt ? ` (oldest ${stats.oldestCapturedAt})` : ''),
      ...(stats.inDoubt > 0 ? [`In doubt, being checked with the core: ${stats.inDoubt}`] : []),
      `Last sync: ${stats.lastSyncAt ?? 'never'}${terminal.coreClient ? ` with ${terminal.coreClient.baseUrl}` : ' (not activated at a core)'}`,
      ...(online === null
        ? []
        : [
            `${online ? 'Online' : 'OFFLINE'}: the core ${online ? 'answered' : 'was not reached'} at the last attempt (${info.lastAttemptAt})`,
          ]),
      ...(json.sync.lastError ? [`Last attempt failed: ${json.sync.lastError.message}`] : []),
      ...json.sync.parked.map((p) => `PARKED seq ${p.seq}: ${p.reason}`),
      `Room left: ${moneyText(room.totalStored)} of ${moneyText(limits.totalStored)} · ${room.storedCount} of ${limits.maxStoredCount} payments · ${room.hoursLeft} h until a sync is due (${room.syncDueBy})`,
      stats.forwardingBlocked
        ? `NO OFFLINE PAYMENTS: the core refuses this terminal (${stats.forwardingBlocked.code}, since ${stats.forwardingBlocked.at}): ${stats.forwardingBlocked.message}`
        : room.clockBehind
          ? `No offline payments: the clock reads earlier than ${stats.lastSyncAt ? 'the last sync' : 'the set-up'}. Set the clock right, or connect to sync.`
          : room.nextPaymentMax.minor > 0
            ? `The next offline payment may be up to ${moneyText(room.nextPaymentMax)}.`
            : 'No more offline payments until the terminal syncs.',
    ].join('\n');
    return { json, text };
  } finally {
    terminal.close();
  }
}
