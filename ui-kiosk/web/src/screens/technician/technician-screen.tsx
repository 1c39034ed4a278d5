/**
 * The technician screens, behind the technician PIN: activation, devices (with their tests), sync,
 * the offline policy in force, recent logs and the software version.
 *
 * The session the PIN opens (`POST /api/technician/session`) lives in this component's memory only
 * and goes with it: leaving the technician screens closes it (`DELETE`), so technician powers never
 * outlast the visit. The host ends an unused session after a while (15 min); the kiosk does the same
 * on its own clock, and any call the host refuses with TECHNICIAN_SESSION brings the PIN pad back.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type HostApi, HostApiError, type TechnicianApi } from '../../api/client.ts';
import type {
  HostEvent,
  HostStatus,
  ScanSummary,
  SyncProgress,
  TechnicianOverview,
} from '../../api/contract.ts';
import { useI18n } from '../../i18n/context.ts';
import type { MessageKey } from '../../i18n/dictionary.ts';
import { refusalMessage } from '../../i18n/refusal.ts';
import { PinPad } from '../pin-pad.tsx';
import { type ActivationForm, ActivationPanel } from './activation-panel.tsx';
import { DevicesPanel, type ScanTest } from './devices-panel.tsx';
import { AboutPanel, LogsPanel, PolicyPanel } from './info-panels.tsx';
import { SyncPanel, type SyncRun } from './sync-panel.tsx';

/** Listens to the host's events while the caller wants; returns the way to stop. */
export type SubscribeEvents = (listener: (event: HostEvent) => void) => () => void;

interface Props {
  api: HostApi;
  status: HostStatus;
  subscribe: SubscribeEvents;
  /** Leaves the technician screens (the session is closed on the way out). */
  onLeave: () => void;
}

/** The host's session length (api-schema.ts), used when its expiresAt can't be read. */
const DEFAULT_SESSION_IDLE_MS = 15 * 60_000;
/** How often the kiosk checks whether the session has gone unused too long. */
const IDLE_CHECK_MS = 5_000;
/** Scans the scan test keeps on screen, newest first. */
const SCANS_SHOWN = 8;

export type TechnicianTab = 'activation' | 'devices' | 'sync' | 'policy' | 'logs' | 'about';

const TABS: readonly { tab: TechnicianTab; label: MessageKey }[] = [
  { tab: 'activation', label: 'tech.tab.activation' },
  { tab: 'devices', label: 'tech.tab.devices' },
  { tab: 'sync', label: 'tech.tab.sync' },
  { tab: 'policy', label: 'tech.tab.policy' },
  { tab: 'logs', label: 'tech.tab.logs' },
  { tab: 'about', label: 'tech.tab.about' },
];

interface Session {
  api: TechnicianApi;
  /** How long the session lasts unused, as the host set it when it opened. */
  idleMs: number;
}

/** Runs a technician call; a refusal for the session's end brings the PIN pad back. */
export type UseSession = <T>(call: (api: TechnicianApi) => Promise<T>) => Promise<T>;

export function TechnicianScreen({ api, status, subscribe, onLeave }: Props) {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | null>(null);
  const [ended, setEnded] = useState(false);

  const current = useRef<Session | null>(null);
  current.current = session;
  useEffect(
    () => () => {
      // Closed on the way out; a session the host already ended answers 401, which changes nothing.
      current.current?.api.close().catch(() => {});
    },
    [],
  );

  const expire = useCallback(() => {
    setSession(null);
    setEnded(true);
  }, []);

  if (!session) {
    return (
      <PinPad
        title={t('tech.pinTitle')}
        explain={t('tech.pinExplain')}
        notSetText={t('tech.notSet')}
        note={ended ? t('tech.expired') : null}
        check={async (pin) => {
          const opened = await api.openTechnicianSession(pin);
          const left = Date.parse(opened.expiresAt) - Date.now();
          setSession({
            api: api.technician(opened.sessionId),
            idleMs: Number.isFinite(left) && left > 0 ? left : DEFAULT_SESSION_IDLE_MS,
          });
          setEnded(false);
        }}
        onCancel={onLeave}
      />
    );
  }
  return (
    <TechnicianDesk
      session={session}
      status={status}
      subscribe={subscribe}
      onExpired={expire}
      onLeave={onLeave}
    />
  );
}

interface DeskProps {
  session: Session;
  status: HostStatus;
  subscribe: SubscribeEvents;
  onExpired: () => void;
  onLeave: () => void;
}

function TechnicianDesk({ session, status, subscribe, onExpired, onLeave }: DeskProps) {
  const { t } = useI18n();
  const [tab, setTab] = useState<TechnicianTab>(status.activation.activated ? 'devices' : 'activation');
  const [overview, setOverview] = useState<TechnicianOverview | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<ActivationForm>({ core: '', code: '', fromScan: null });
  const [scanTest, setScanTest] = useState<ScanTest>({ running: false, scans: [] });
  const [sync, setSync] = useState<SyncRun>({ kind: 'idle' });

  const lastUse = useRef(Date.now());
  const use: UseSession = useCallback(
    async (call) => {
      try {
        const answer = await call(session.api);
        lastUse.current = Date.now();
        return answer;
      } catch (err) {
        if (err instanceof HostApiError && err.code === 'TECHNICIAN_SESSION') onExpired();
        throw err;
      }
    },
    [session, onExpired],
  );

  // The kiosk's own clock on the session: a screen left open does not stay signed in.
  useEffect(() => {
    const timer = setInterval(() => {
      if (Date.now() - lastUse.current < session.idleMs) return;
      session.api.close().catch(() => {});
      onExpired();
    }, IDLE_CHECK_MS);
    return () => clearInterval(timer);
  }, [session, onExpired]);

  const load = useCallback(() => {
    setLoading(true);
    use((a) => a.overview()).then(
      (answer) => {
        setOverview(answer);
        setLoadError(null);
        setLoading(false);
      },
      (err: unknown) => {
        setLoadError(refusalMessage(err, t));
        setLoading(false);
      },
    );
  }, [use, t]);
  useEffect(load, []);

  // The host's events: scans (the scan test, an activation card), and the progress of a sync.
  const scanTestRunning = useRef(scanTest.running);
  scanTestRunning.current = scanTest.running;
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'scan') {
          const scan: ScanSummary = event.scan;
          if (scanTestRunning.current) {
            setScanTest((test) => ({ ...test, scans: [scan, ...test.scans].slice(0, SCANS_SHOWN) }));
          } else if (scan.kind === 'activation') {
            // A masked code means the host did not see this session: it must not fill the form.
            const masked = scan.activation.code.includes('*');
            setForm((f) =>
              masked
                ? { ...f, fromScan: 'masked' }
                : { core: scan.activation.coreUrl, code: scan.activation.code, fromScan: 'filled' },
            );
            setTab('activation');
          }
        } else if (event.type === 'sync') {
          const progress: SyncProgress = event.progress;
          setSync(progress.done ? { kind: 'finished', progress } : { kind: 'running', progress });
          if (progress.done) load();
        }
      }),
    [subscribe, load],
  );

  let panel: preact.ComponentChild;
  if (tab === 'devices') {
    panel = <DevicesPanel devices={status.devices} use={use} scanTest={scanTest} onScanTest={setScanTest} />;
  } else if (tab === 'activation') {
    panel = <ActivationPanel overview={overview} form={form} onForm={setForm} use={use} onActivated={load} />;
  } else if (!overview) {
    panel = loading ? (
      <p class="busy-line" role="status">
        <span class="busy-dot" aria-hidden="true" /> {t('tech.loading')}
      </p>
    ) : null;
  } else if (tab === 'sync') {
    panel = <SyncPanel sync={overview.sync} run={sync} onRun={setSync} use={use} />;
  } else if (tab === 'policy') {
    panel = <PolicyPanel policy={overview.policy} />;
  } else if (tab === 'logs') {
    panel = <LogsPanel logs={overview.logs} />;
  } else {
    panel = <AboutPanel overview={overview} />;
  }

  return (
    <div class="technician-screen">
      <div class="technician-screen__head">
        <h1 class="screen-title">{t('tech.title')}</h1>
        <nav class="tab-row" aria-label={t('tech.tabs')}>
          {TABS.map(({ tab: name, label }) => (
            <button
              type="button"
              key={name}
              class="tab-button"
              aria-current={tab === name ? 'page' : undefined}
              data-tab={name}
              onClick={() => setTab(name)}
            >
              {t(label)}
            </button>
          ))}
        </nav>
        <div class="action-row">
          <button type="button" class="button" disabled={loading} onClick={load}>
            {loading ? t('tech.loading') : t('tech.refresh')}
          </button>
          <button type="button" class="button button--cancel" onClick={onLeave}>
            {t('tech.leave')}
          </button>
        </div>
      </div>
      {loadError && (
        <p class="form-error" role="alert">
          {t('tech.loadFailed', { message: loadError })}
        </p>
      )}
      <section class="technician-panel" data-panel={tab}>
        {panel}
      </section>
    </div>
  );
}
