/**
 * The kiosk: the frame (header with navigation, language and online state; the connection and
 * offline banners) around one screen at a time. The navigation leads to the checkout, today's
 * payments (and from one payment to its receipt, void and refund), shift close and the technician
 * screens; a checkout under way takes the screen whatever was open, and holds the navigation.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { type HostApi, HostApiError, type SupervisorAction } from './api/client.ts';
import { type HostEvent, MAX_PAYMENTS_LISTED, type PaymentRecord } from './api/contract.ts';
import type { HostEvents, HostEventsOptions } from './api/events.ts';
import {
  type AmountEntry,
  type AmountKey,
  amountText,
  editAmount,
  emptyAmount,
} from './checkout/amount-entry.ts';
import { connectivity } from './checkout/offline-room.ts';
import { qrOffer } from './checkout/qr-order.ts';
import { ConnectionBanner } from './frame/connection-banner.tsx';
import { OfflineBanner } from './frame/offline-banner.tsx';
import { I18nContext, useI18n } from './i18n/context.ts';
import {
  DEFAULT_LANGUAGE,
  isLanguage,
  type Language,
  type MessageKey,
  translator,
} from './i18n/dictionary.ts';
import { minorDigits } from './i18n/money.ts';
import { refusalMessage } from './i18n/refusal.ts';
import { initialKioskState, isActive, kioskReducer, workingStep } from './kiosk-state.ts';
import { KeypadScreen } from './screens/keypad-screen.tsx';
import { PaymentsScreen } from './screens/payments-screen.tsx';
import { QrScreen } from './screens/qr-screen.tsx';
import { ReceiptScreen } from './screens/receipt-screen.tsx';
import { ResultScreen } from './screens/result-screen.tsx';
import { ShiftScreen } from './screens/shift-screen.tsx';
import { SupervisorScreen } from './screens/supervisor-screen.tsx';
import { type SubscribeEvents, TechnicianScreen } from './screens/technician/technician-screen.tsx';
import { WaitingScreen } from './screens/waiting-screen.tsx';

/** The sections of the navigation. */
export type Section = 'checkout' | 'payments' | 'shift' | 'technician';

/** What the screen shows, under a section. */
export type View =
  | { route: 'checkout' }
  | { route: 'payments' }
  /** A payment's receipt, from the result screen (`checkout`) or from today's payments. */
  | { route: 'receipt'; paymentId: string; from: 'checkout' | 'payments' }
  | { route: 'supervisor'; paymentId: string; action: SupervisorAction }
  | { route: 'shift' }
  | { route: 'technician' };

function sectionOf(view: View): Section {
  switch (view.route) {
    case 'receipt':
      return view.from;
    case 'supervisor':
      return 'payments';
    default:
      return view.route;
  }
}

const NAVIGATION: readonly { section: Section; label: MessageKey }[] = [
  { section: 'checkout', label: 'nav.checkout' },
  { section: 'payments', label: 'nav.payments' },
  { section: 'shift', label: 'nav.shift' },
  { section: 'technician', label: 'nav.technician' },
];

export const LANGUAGE_STORAGE_KEY = 'suanpan.language';

function savedLanguage(): Language | null {
  try {
    const saved = localStorage.getItem(LANGUAGE_STORAGE_KEY);
    return isLanguage(saved) ? saved : null;
  } catch {
    return null;
  }
}

export interface AppProps {
  api: HostApi;
  createEvents: (handlers: Pick<HostEventsOptions, 'onEvent' | 'onState'>) => HostEvents;
}

export function App({ api, createEvents }: AppProps) {
  const [state, dispatch] = useReducer(kioskReducer, initialKioskState);
  const [chosenLanguage, setChosenLanguage] = useState<Language | null>(savedLanguage);
  const language = chosenLanguage ?? state.status?.terminal.locale ?? DEFAULT_LANGUAGE;
  const i18n = useMemo(() => ({ language, t: translator(language) }), [language]);
  const { t } = i18n;
  const [view, setView] = useState<View>({ route: 'checkout' });
  const [entry, setEntry] = useState<AmountEntry>(() => emptyAmount());
  const [busy, setBusy] = useState<'start' | 'code' | 'qr' | 'cancel' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [paymentsError, setPaymentsError] = useState<string | null>(null);

  const loadPayments = useCallback(() => {
    api.payments(MAX_PAYMENTS_LISTED).then(
      (payments) => {
        setPaymentsError(null);
        dispatch({ type: 'payments', payments });
      },
      (err: unknown) => setPaymentsError((err as Error).message),
    );
  }, [api]);

  // Screens that follow the events themselves (the technician's scan test, a sync's progress).
  const listeners = useRef(new Set<(event: HostEvent) => void>());
  const subscribe: SubscribeEvents = useCallback((listener) => {
    listeners.current.add(listener);
    return () => listeners.current.delete(listener);
  }, []);

  // The event stream, for as long as the app is shown.
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => {
    const events = createEvents({
      onEvent: (event) => {
        dispatch({ type: 'event', event });
        for (const listener of listeners.current) listener(event);
        // After a (re)connect, events may have been missed: ask for the checkout as it stands.
        if (event.type === 'hello') {
          api.currentCheckout().then(
            (checkout) => checkout && dispatch({ type: 'checkout', checkout }),
            () => {},
          );
        }
      },
      onState: (stream) => {
        dispatch({ type: 'stream', state: stream });
        if (stream !== 'lost') return;
        // A socket refused for its token looks like any failed connect: ask over HTTP which it is.
        api.status().then(
          (status) => dispatch({ type: 'event', event: { type: 'status', status } }),
          (err: unknown) => {
            if (err instanceof HostApiError && err.status === 401) dispatch({ type: 'token_refused' });
          },
        );
      },
    });
    events.start();
    return () => events.stop();
  }, [api, createEvents]);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t('app.name');
  }, [language, t]);

  // The amount follows the terminal's currency (its decimals).
  const currency = state.status?.terminal.currency ?? 'CNY';
  useEffect(() => setEntry((e) => ({ ...e, decimals: minorDigits(currency) })), [currency]);

  const checkout = state.checkout;
  const active = isActive(checkout);
  // A checkout under way takes the screen; its result then shows under the checkout section.
  useEffect(() => {
    if (active) setView({ route: 'checkout' });
  }, [active]);

  const run = async (kind: 'start' | 'code' | 'qr' | 'cancel', call: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    try {
      await call();
    } catch (err) {
      setError(refusalMessage(err, tRef.current));
    } finally {
      setBusy(null);
    }
  };

  const charge = () =>
    run('start', async () => {
      dispatch({ type: 'checkout', checkout: await api.startCheckout(amountText(entry)) });
    });
  const enterCode = (code: string) =>
    run('code', async () => {
      const answer = await api.enterCode(code);
      if (answer) dispatch({ type: 'checkout', checkout: answer });
    });
  const showQr = () =>
    run('qr', async () => {
      dispatch({ type: 'qr_asked' });
      try {
        dispatch({ type: 'checkout', checkout: await api.showQr() });
      } catch (err) {
        dispatch({ type: 'qr_refused' });
        throw err;
      }
    });
  /** A keyboard-wedge scan: the host routes it; its effect (a payment started) comes as events. */
  const scan = (data: string) => {
    setError(null);
    api.scan(data).catch((err: unknown) => setError(refusalMessage(err, tRef.current)));
  };
  const cancel = () =>
    run('cancel', async () => {
      const answer = await api.cancelCheckout();
      if (answer) dispatch({ type: 'checkout', checkout: answer });
    });
  const next = () => {
    dispatch({ type: 'dismiss' });
    setEntry((e) => emptyAmount(e.decimals));
    setError(null);
  };
  const toggleLanguage = () => {
    const nextLanguage: Language = language === 'zh-CN' ? 'en' : 'zh-CN';
    setChosenLanguage(nextLanguage);
    try {
      localStorage.setItem(LANGUAGE_STORAGE_KEY, nextLanguage);
    } catch {
      // Not kept across reloads; the switch still works for this page.
    }
  };

  /** A payment as the kiosk knows it now (today's list, the checkout on screen). */
  const paymentById = (paymentId: string): PaymentRecord | undefined =>
    state.payments?.find((p) => p.paymentId === paymentId) ??
    (checkout?.payment?.paymentId === paymentId ? checkout.payment : undefined);
  const changed = (payment: PaymentRecord) =>
    dispatch({ type: 'event', event: { type: 'payment', payment } });

  let screen: preact.ComponentChild;
  if (state.tokenRefused) {
    screen = <HostProblem title={t('host.badToken.title')} detail={t('host.badToken.detail')} />;
  } else if (!state.status) {
    screen = <HostProblem title={t('host.connecting')} detail="" busy />;
  } else if (checkout?.phase === 'showing_qr' && checkout.qr) {
    const { qr } = checkout;
    screen = (
      <QrScreen
        checkout={{ ...checkout, qr }}
        cancelling={busy === 'cancel'}
        error={error}
        onCancel={cancel}
      />
    );
  } else if (checkout && active) {
    screen = (
      <WaitingScreen
        checkout={checkout}
        strayScan={state.strayScan}
        busy={busy === 'code' || busy === 'qr' || busy === 'cancel' ? busy : null}
        error={error}
        qr={qrOffer(state.status, state.stream)}
        step={workingStep(checkout, state.qrAsked)}
        onCode={enterCode}
        onShowQr={showQr}
        onCancel={cancel}
        onScan={scan}
      />
    );
  } else {
    screen = renderView(view);
  }

  function renderView(current: View): preact.ComponentChild {
    const status = state.status;
    if (!status) return null;
    switch (current.route) {
      case 'payments':
        return (
          <PaymentsScreen
            payments={state.payments}
            error={paymentsError}
            onRefresh={loadPayments}
            onOpen={(payment) =>
              setView({ route: 'receipt', paymentId: payment.paymentId, from: 'payments' })
            }
          />
        );
      case 'receipt': {
        const payment = paymentById(current.paymentId);
        if (!payment) return renderView({ route: current.from });
        return (
          <ReceiptScreen
            api={api}
            payment={payment}
            onBack={() => setView({ route: current.from })}
            {...(current.from === 'payments'
              ? {
                  onSupervisor: (action: SupervisorAction) =>
                    setView({ route: 'supervisor', paymentId: payment.paymentId, action }),
                }
              : {})}
          />
        );
      }
      case 'supervisor': {
        const payment = paymentById(current.paymentId);
        if (!payment) return renderView({ route: 'payments' });
        return (
          <SupervisorScreen
            api={api}
            payment={payment}
            action={current.action}
            onChanged={changed}
            onCancel={() => setView({ route: 'receipt', paymentId: payment.paymentId, from: 'payments' })}
            onDone={() => setView({ route: 'payments' })}
          />
        );
      }
      case 'shift':
        return <ShiftScreen api={api} currency={currency} onDone={() => setView({ route: 'checkout' })} />;
      case 'technician':
        return (
          <TechnicianScreen
            api={api}
            status={status}
            subscribe={subscribe}
            onLeave={() => setView({ route: 'checkout' })}
          />
        );
      case 'checkout':
        return checkout ? (
          <ResultScreen
            checkout={checkout}
            queueAtStart={state.queueAtStart}
            onNext={next}
            onReceipt={() =>
              checkout.payment &&
              setView({ route: 'receipt', paymentId: checkout.payment.paymentId, from: 'checkout' })
            }
          />
        ) : (
          <KeypadScreen
            entry={entry}
            status={status}
            starting={busy === 'start'}
            connected={state.stream === 'open'}
            error={error}
            onKey={(key: AmountKey) => {
              setError(null);
              setEntry((e) => editAmount(e, key));
            }}
            onCharge={charge}
            onScan={scan}
          />
        );
    }
  }

  const online = state.status ? connectivity(state.status) : null;
  return (
    <I18nContext.Provider value={i18n}>
      <div class="kiosk">
        <header class="topbar">
          <span class="topbar__brand">{t('app.name')}</span>
          <nav class="topbar__nav" aria-label={t('nav.label')}>
            {NAVIGATION.map(({ section, label }) => (
              <button
                type="button"
                key={section}
                class="nav-button"
                data-section={section}
                aria-current={sectionOf(view) === section ? 'page' : undefined}
                disabled={active && section !== 'checkout'}
                onClick={() => setView({ route: section })}
              >
                {t(label)}
              </button>
            ))}
          </nav>
          {online && (
            <span class={`online-pill online-pill--${online === 'online' ? 'online' : 'offline'}`}>
              {t(
                online === 'online'
                  ? 'status.online'
                  : online === 'checking'
                    ? 'status.checking'
                    : 'status.offline',
              )}
            </span>
          )}
          <button
            type="button"
            class="language-toggle"
            aria-label={t('language.switch')}
            onClick={toggleLanguage}
          >
            <span class={language === 'zh-CN' ? 'is-current' : undefined} lang="zh-CN">
              中文
            </span>
            <span aria-hidden="true">/</span>
            <span class={language === 'en' ? 'is-current' : undefined} lang="en">
              EN
            </span>
          </button>
        </header>
        <ConnectionBanner stream={state.stream} />
        {state.status && <OfflineBanner status={state.status} sync={state.sync} />}
        <main class="screen">{screen}</main>
      </div>
    </I18nContext.Provider>
  );
}

export function HostProblem({ title, detail, busy }: { title: string; detail: string; busy?: boolean }) {
  return (
    <div class="host-problem" aria-busy={busy ? 'true' : undefined}>
      {busy && <div class="progress-ring" aria-hidden="true" />}
      <h1 class="screen-title">{title}</h1>
      {detail && <p class="screen-explain">{detail}</p>}
    </div>
  );
}

/** The page when it was opened without a token: it can't talk to the terminal at all. */
export function NoTokenPage() {
  const { t } = useI18n();
  return (
    <div class="kiosk">
      <main class="screen">
        <HostProblem title={t('host.noToken.title')} detail={t('host.noToken.detail')} />
        <div class="host-problem" lang="en">
          <p class="screen-explain">
            {translator('en')('host.noToken.title')}. {translator('en')('host.noToken.detail')}
          </p>
        </div>
      </main>
    </div>
  );
}
