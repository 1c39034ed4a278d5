/**
 * Activation: the payment core's address and the one-time activation code, typed or filled in by
 * scanning an activation card (the technician screen hears the scan), then sent to the host, which
 * activates the terminal at the core.
 */
import { useState } from 'preact/hooks';
import type { TechnicianOverview } from '../../api/contract.ts';
import { useI18n } from '../../i18n/context.ts';
import { refusalMessage } from '../../i18n/refusal.ts';
import type { UseSession } from './technician-screen.tsx';

export interface ActivationForm {
  core: string;
  code: string;
  /** Filled from a scanned activation card, or a card was scanned with its code masked. */
  fromScan: 'filled' | 'masked' | null;
}

interface Props {
  overview: TechnicianOverview | null;
  form: ActivationForm;
  onForm: (form: ActivationForm) => void;
  use: UseSession;
  /** The terminal is activated: the overview is read again. */
  onActivated: () => void;
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'working' }
  | { kind: 'done'; merchant: string }
  | { kind: 'failed'; message: string };

export function ActivationPanel({ overview, form, onForm, use, onActivated }: Props) {
  const { t } = useI18n();
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const activation = overview?.activation;
  const working = phase.kind === 'working';
  const ready = form.core.trim() !== '' && form.code.trim() !== '' && !working;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready) return;
    setPhase({ kind: 'working' });
    try {
      const answer = await use((api) => api.activate({ core: form.core.trim(), code: form.code.trim() }));
      // The code is spent: it leaves the form.
      onForm({ core: form.core, code: '', fromScan: null });
      setPhase({ kind: 'done', merchant: answer.merchantName ?? form.core.trim() });
      onActivated();
    } catch (err) {
      setPhase({ kind: 'failed', message: refusalMessage(err, t) });
    }
  };

  const edit = (field: 'core' | 'code') => (event: Event) =>
    onForm({ ...form, [field]: (event.target as HTMLInputElement).value, fromScan: null });

  return (
    <div class="activation-panel">
      <h2 class="panel-title">{t('activation.title')}</h2>
      {activation && (
        <p class={`activation-state${activation.activated ? ' activation-state--active' : ''}`}>
          {activation.activated
            ? t('activation.active', {
                merchant: activation.merchantName ?? t('about.notSet'),
                core: activation.coreUrl ?? t('about.notSet'),
              })
            : t('activation.inactive')}
        </p>
      )}
      <p class="screen-explain">{t('activation.explain')}</p>
      <form class="field-form" onSubmit={submit}>
        <label for="activation-core">{t('activation.core')}</label>
        <input
          id="activation-core"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellcheck={false}
          placeholder="https://"
          value={form.core}
          onInput={edit('core')}
        />
        <label for="activation-code">{t('activation.code')}</label>
        <input
          id="activation-code"
          type="text"
          autoComplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          maxLength={32}
          value={form.code}
          onInput={edit('code')}
        />
        {form.fromScan === 'filled' && (
          <p class="form-note" role="status">
            {t('activation.scanned')}
          </p>
        )}
        {form.fromScan === 'masked' && (
          <p class="form-error" role="alert">
            {t('activation.masked')}
          </p>
        )}
        <div class="action-row">
          <button type="submit" class="button button--primary" disabled={!ready}>
            {t('activation.submit')}
          </button>
        </div>
        {working && (
          <p class="busy-line" role="status">
            <span class="busy-dot" aria-hidden="true" /> {t('activation.working')}
          </p>
        )}
        {phase.kind === 'done' && (
          <p class="form-note form-note--ok" role="status">
            {t('activation.done', { merchant: phase.merchant })}
          </p>
        )}
        {phase.kind === 'failed' && (
          <p class="form-error" role="alert">
            {t('activation.failed', { message: phase.message })}
          </p>
        )}
      </form>
    </div>
  );
}
