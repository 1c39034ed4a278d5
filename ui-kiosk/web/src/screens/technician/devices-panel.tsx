/**
 * Devices: the receipt printer and the scanners with their state (live, from the host's status),
 * and their tests: print a test page, open the cash drawer, and a scan test that shows the next
 * scans as the host routes them (the host masks payment codes and secrets before they get here).
 */
import { useState } from 'preact/hooks';
import type { TechnicianApi } from '../../api/client.ts';
import type { HostStatus, PrintOutcome, ScanSummary } from '../../api/contract.ts';
import { formatClock, useI18n } from '../../i18n/context.ts';
import { refusalMessage } from '../../i18n/refusal.ts';
import { PrintOutcomeNote, type PrintState } from '../print-outcome.tsx';
import type { UseSession } from './technician-screen.tsx';

export interface ScanTest {
  running: boolean;
  /** Scans since the test started, newest first. */
  scans: ScanSummary[];
}

interface Props {
  devices: HostStatus['devices'];
  use: UseSession;
  scanTest: ScanTest;
  onScanTest: (test: ScanTest) => void;
}

export function DevicesPanel({ devices, use, scanTest, onScanTest }: Props) {
  const { t, language } = useI18n();
  const [printTest, setPrintTest] = useState<PrintState>({ kind: 'idle' });
  const [drawer, setDrawer] = useState<PrintState>({ kind: 'idle' });
  const { printer, scanners } = devices;

  const run = async (
    set: (state: PrintState) => void,
    call: (api: TechnicianApi) => Promise<PrintOutcome>,
  ) => {
    set({ kind: 'busy' });
    try {
      set({ kind: 'done', outcome: await use(call) });
    } catch (err) {
      set({ kind: 'failed', message: refusalMessage(err, t) });
    }
  };
  const busy = printTest.kind === 'busy' || drawer.kind === 'busy';

  return (
    <div class="devices-panel">
      <section class="device" data-device="printer">
        <h2 class="panel-title">{t('devices.printer')}</h2>
        <p class={`device__state device__state--${printer.state}`}>
          {printer.state === 'none'
            ? t('devices.printer.none')
            : printer.state === 'ready'
              ? t('devices.printer.ready')
              : t('devices.printer.problem', { problem: printer.problem ?? '' })}
          {printer.waiting > 0 && <span> · {t('devices.printer.waiting', { count: printer.waiting })}</span>}
        </p>
        {printer.uri && <p class="device__address code">{printer.uri}</p>}
        <div class="action-row">
          <button
            type="button"
            class="button button--primary"
            disabled={busy || printer.state === 'none'}
            onClick={() => run(setPrintTest, (api) => api.printTest())}
          >
            {t('devices.printTest')}
          </button>
          <button
            type="button"
            class="button"
            disabled={busy || printer.state === 'none'}
            onClick={() => run(setDrawer, (api) => api.openDrawer())}
          >
            {t('devices.openDrawer')}
          </button>
        </div>
        <div class="print-test-result" data-test="print">
          <PrintOutcomeNote state={printTest} busyText={t('devices.sending')} />
        </div>
        <div class="print-test-result" data-test="drawer">
          <PrintOutcomeNote
            state={drawer}
            busyText={t('devices.sending')}
            doneText={t('devices.drawerOpened')}
          />
        </div>
      </section>

      <section class="device" data-device="scanners">
        <h2 class="panel-title">{t('devices.scanners')}</h2>
        {scanners.length === 0 && <p class="screen-explain">{t('devices.scanners.none')}</p>}
        <ul class="scanner-list">
          {scanners.map((scanner) => (
            <li key={scanner.uri} class={`device__state device__state--${scanner.state}`}>
              <strong>{t(`scanner.${scanner.state}`)}</strong> <span class="code">{scanner.uri}</span>
              {' · '}
              {t('devices.scans', { count: scanner.scans })}
              {scanner.reason && <span class="device__reason">{scanner.reason}</span>}
              {scanner.package && (
                <span class="device__reason">{t('devices.package', { name: scanner.package })}</span>
              )}
            </li>
          ))}
        </ul>
        <div class="action-row">
          <button
            type="button"
            class={`button${scanTest.running ? ' button--cancel' : ' button--primary'}`}
            aria-pressed={scanTest.running}
            onClick={() =>
              onScanTest({ running: !scanTest.running, scans: scanTest.running ? scanTest.scans : [] })
            }
          >
            {scanTest.running ? t('devices.scanTestStop') : t('devices.scanTest')}
          </button>
        </div>
        {scanTest.running && (
          <p class="busy-line" role="status">
            <span class="busy-dot" aria-hidden="true" /> {t('devices.scanTestWaiting')}
          </p>
        )}
        {scanTest.scans.length > 0 && (
          <ul class="scan-list" aria-live="polite">
            {scanTest.scans.map((scan) => (
              <li
                key={`${scan.at}-${scan.source}-${scan.data}`}
                class="scan-list__item"
                data-kind={scan.kind}
              >
                <span class="scan-list__time">{formatClock(scan.at, language)}</span>
                <strong>{t(`scanKind.${scan.kind}`)}</strong>
                <span class="code">{scan.data}</span>
                <span class="scan-list__source">{scan.source}</span>
                {scan.kind !== 'activation' && scan.reason && (
                  <span class="device__reason">{scan.reason}</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
