/**
 * The kiosk: the frame (header with navigation, language and online state; the connection and
 * offline banners) around one screen at a time. Checkout is the first screen; the navigation is a
 * list of routes so void and refund, shift close and the technician screens slot in beside it.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { type HostApi, HostApiError } from './api/client.ts';
import { MAX_PAYMENTS_LISTED } from './api/contract.ts';
import type { HostEvents, HostEventsOptions } from './api/events.ts';
import {
  type AmountEntry,
  type AmountKey,
  amountText,
  editAmount,
  emptyAmount,
} from './checkout/amount-entry.ts';
import { connectivity } from './checkout/offline-room.ts';
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
import { initialKioskState, isActive, kioskReducer } from './kiosk-state.ts';
import { KeypadScreen } from './screens/keypad-screen.tsx';
import { PaymentsScreen } from './screens/payments-screen.tsx';
import { ResultScreen } from './screens/result-screen.tsx';
import { WaitingScreen } from './screens/waiting-screen.tsx';

/** The screens reachable from the navigation. Next: void/refund, shift close, technician. */
export type Route = 'checkout' | 'payments';

const NAVIGATION: readonly { route: Route; label: MessageKey }[] = [
  { route: 'checkout', label: 'nav.checkout' },
  { route: 'payments', label: 'nav.payments' },
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

/** A refusal in words for the cashier: the host's message is already in the terminal's language. */
function problemMessage(err: unknown, t: ReturnType<typeof translator>): string {
  if (err instanceof HostApiError) {
    if (err.code === 'UNREACHABLE') return t('host.unreachable');
    if (err.code === 'NOT_A_PAYMENT_CODE') return t('reason.invalidCode');
    if (err.code === 'INVALID_AMOUNT') return t('reason.invalidAmount');
    return err.message;
  }
  return (err as Error).message;
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
  const [route, setRoute] = useState<Route>('checkout');
  const [entry, setEntry] = useState<AmountEntry>(() => emptyAmount());
  const [busy, setBusy] = useState<'start' | 'code' | 'cancel' | null>(null);
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

  // The event stream, for as long as the app is shown.
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => {
    const events = createEvents({
      onEvent: (event) => {
        dispatch({ type: 'event', event });
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

  const run = async (kind: 'start' | 'code' | 'cancel', call: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    try {
      await call();
    } catch (err) {
      setError(problemMessage(err, tRef.current));
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

  let screen: preact.ComponentChild;
  if (state.tokenRefused) {
    screen = <HostProblem title={t('host.badToken.title')} detail={t('host.badToken.detail')} />;
  } else if (!state.status) {
    screen = <HostProblem title={t('host.connecting')} detail="" busy />;
  } else if (route === 'payments' && !active) {
    screen = <PaymentsScreen payments={state.payments} error={paymentsError} onRefresh={loadPayments} />;
  } else if (checkout && active) {
    screen = (
      <WaitingScreen
        checkout={checkout}
        strayScan={state.strayScan}
        busy={busy === 'code' || busy === 'cancel' ? busy : null}
        error={error}
        onCode={enterCode}
        onCancel={cancel}
      />
    );
  } else if (checkout) {
    screen = <ResultScreen checkout={checkout} queueAtStart={state.queueAtStart} onNext={next} />;
  } else {
    screen = (
      <KeypadScreen
        entry={entry}
        status={state.status}
        starting={busy === 'start'}
        connected={state.stream === 'open'}
        error={error}
        onKey={(key: AmountKey) => {
          setError(null);
          setEntry((e) => editAmount(e, key));
        }}
        onCharge={charge}
      />
    );
  }

  const online = state.status ? connectivity(state.status) : null;
  return (
    <I18nContext.Provider value={i18n}>
      <div class="kiosk">
        <header class="topbar">
          <span class="topbar__brand">{t('app.name')}</span>
          <nav class="topbar__nav" aria-label={t('nav.label')}>
            {NAVIGATION.map(({ route: r, label }) => (
              <button
                type="button"
                key={r}
                class="nav-button"
                aria-current={route === r ? 'page' : undefined}
                disabled={active && r !== 'checkout'}
                onClick={() => setRoute(r)}
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
