import { inFlightWindowMs } from '../../../sync/client/in-doubt.ts';
import { SyncEngine, SyncError } from '../../../sync/client/sync-engine.ts';
import { openTerminal } from '../../terminal.ts';
import { SOFTWARE_VERSION } from '../../version.ts';
import { type CliIO, type CommandResult, EXIT_REFUSED, UsageError } from '../output.ts';

const BAR_WIDTH = 30;
/** Tries after a timeout: 500 halves to 10 in six; the background loop goes on from there. */
const SLOW_LINK_ATTEMPTS = 7;

/** `suanpan sync`: drains the queue now, with a progress bar on a terminal. */
export async function syncCommand(
  options: { dataDir: string; json?: boolean; retryParked?: boolean },
  io: CliIO,
): Promise<CommandResult> {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    if (!terminal.coreClient) {
      throw new UsageError(
        terminal.activation
          ? 'No core URL is set (core.url): set it, or activate the terminal again.'
          : 'This terminal is not activated at a core yet: run `suanpan activate --core URL --code CODE` first.',
      );
    }
    const engine = new SyncEngine({
      journal: terminal.journal,
      client: terminal.coreClient,
      log: terminal.log.child({ module: 'sync' }),
      softwareVersion: SOFTWARE_VERSION,
      // A payment's own online call (in a checkout process) may still be waiting on its answer:
      // leave it to that call until its timeout has surely passed.
      inFlightMs: inFlightWindowMs(terminal.settings.core.timeoutMs),
    });
    const draw = io.interactive && !options.json;
    const bar = draw
      ? ({ sent, total }: { sent: number; total: number }) => {
          const done = total === 0 ? BAR_WIDTH : Math.round((Math.min(sent, total) / total) * BAR_WIDTH);
          io.stderr(`\r[${'#'.repeat(done)}${'.'.repeat(BAR_WIDTH - done)}] ${sent}/${total} payments sent`);
        }
      : undefined;
    let report: Awaited<ReturnType<SyncEngine['syncNow']>> | undefined;
    // Results recorded by attempts that then failed: they stay recorded, and are counted here.
    let settledBefore = 0;
    let declinedBefore = 0;
    // A link too slow for a batch within the timeout: the engine halves the batch after each
    // timeout, so try again at once, a few times, rather than leave it to the next `suanpan sync`.
    for (let attempt = 1; !report; attempt++) {
      try {
        report = await engine.syncNow(bar, { retryParked: options.retryParked });
      } catch (err) {
        if (draw) io.stderr('\n');
        const recorded = err instanceof SyncError ? err.recorded : undefined;
        settledBefore += recorded?.settled ?? 0;
        declinedBefore += recorded?.declined ?? 0;
        const code = (err as { code?: string }).code;
        if (!retriedAtOnce(code) || attempt >= SLOW_LINK_ATTEMPTS) {
          if (err instanceof SyncError && settledBefore + declinedBefore > 0) {
            err.message += ` Before that, this sync recorded ${settledBefore} payments settled and ${declinedBefore} declined after sync (see \`suanpan payments\`).`;
          }
          throw err;
        }
        if (!options.json) {
          io.stderr(
            code === 'CORE_TIMEOUT'
              ? 'The core did not answer in time: trying again with smaller batches.\n'
              : "The core's answer was lost on the way: trying again.\n",
          );
        }
      }
    }
    report.settled += settledBefore;
    report.declined += declinedBefore;
    if (draw) io.stderr('\n');
    if (report.unparked > 0 && !options.json)
      io.stderr(`${report.unparked} parked payments were sent again.\n`);
    const info = terminal.journal.syncInfo();
    return {
      json: {
        sent: report.sent,
        settled: report.settled,
        declined: report.declined,
        duplicates: report.duplicates,
        remaining: report.remaining,
        conflicts: report.conflicts,
        parked: info.parked.length,
        resolved: report.resolved,
        resolvedApproved: report.resolvedApproved,
        unparked: report.unparked,
      },
      text: [
        `Sent ${report.sent} (${report.duplicates} the core had already): ${report.settled} settled, ${report.declined} declined after sync.`,
        ...(report.resolved > 0
          ? [
              `${report.resolved} payments in doubt resolved: ${report.resolvedApproved} went through (approved), ${report.resolved - report.resolvedApproved} did not (declined or cancelled; no money taken). See \`suanpan payments\`.`,
            ]
          : []),
        ...(info.parked.length > 0
          ? [
              `${info.parked.length} payments parked (need attention): ${info.parked.map((p) => `seq ${p.seq}: ${p.reason}`).join('; ')}`,
            ]
          : []),
        `${report.remaining} stored offline payments remain.`,
      ].join('\n'),
      exitCode: report.conflicts > 0 ? EXIT_REFUSED : undefined,
    };
  } finally {
    terminal.close();
  }
}

/**
 * Failures `suanpan sync` tries again at once, rather than leave to the next sync: a timeout (the
 * engine halves the batch after one, for a slow link), and an answer lost on the way, to a broken
 * connection or to a duplicating network (its copy of the request got there first: REPLAYED).
 * Sending again is safe; it is what the background loop does after a pause.
 */
export function retriedAtOnce(code: string | undefined): boolean {
  return code === 'CORE_TIMEOUT' || code === 'REPLAYED_REQUEST' || code === 'CORE_CONNECTION_LOST';
}
