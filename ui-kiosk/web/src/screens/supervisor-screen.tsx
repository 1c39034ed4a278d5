/**
 * Void or refund of one payment, behind the supervisor's PIN: the PIN pad, then the payment in the
 * state the host moved it to. The host checks the PIN and whether the payment can take the action;
 * every refusal is said on the PIN pad (wrong PIN, locked, no PIN set, the action not allowed).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HostApi, SupervisorAction } from '../api/client.ts';
import type { PaymentRecord } from '../api/contract.ts';
import { useI18n } from '../i18n/context.ts';
import { formatMoney } from '../i18n/money.ts';
import { PinPad } from './pin-pad.tsx';

interface Props {
  api: HostApi;
  payment: PaymentRecord;
  action: SupervisorAction;
  /** The host moved the payment: its new record. */
  onChanged: (payment: PaymentRecord) => void;
  /** Back to the payment, without a change. */
  onCancel: () => void;
  /** After the change, back to today's payments. */
  onDone: () => void;
}

export function SupervisorScreen({ api, payment, action, onChanged, onCancel, onDone }: Props) {
  const { t } = useI18n();
  const [changed, setChanged] = useState<PaymentRecord | null>(null);
  const amount = formatMoney(payment.amount);

  if (changed) return <SupervisorDone payment={changed} onDone={onDone} />;
  return (
    <PinPad
      title={
        action === 'void' ? t('supervisor.title.void', { amount }) : t('supervisor.title.refund', { amount })
      }
      explain={t('supervisor.explain')}
      notSetText={t('supervisor.notSet')}
      check={async (pin) => {
        const next = await api.changePayment(payment.paymentId, action, pin);
        onChanged(next);
        setChanged(next);
      }}
      onCancel={onCancel}
    />
  );
}

function SupervisorDone({ payment, onDone }: { payment: PaymentRecord; onDone: () => void }) {
  const { t } = useI18n();
  // The focus on the way back, so Enter (or Space) leaves: no key is taken globally here, so a
  // key still held from the PIN does not skip this screen.
  const back = useRef<HTMLButtonElement>(null);
  useEffect(() => back.current?.focus(), []);
  return (
    <div class="supervisor-done" role="status">
      <p class="supervisor-done__line">{t('supervisor.done', { amount: formatMoney(payment.amount) })}</p>
      <p>
        <span
          class={`state-badge state-badge--large state-badge--${payment.status}`}
          data-status={payment.status}
        >
          {t(`payment.${payment.status}`)}
        </span>
      </p>
      <div class="action-row">
        <button ref={back} type="button" class="button button--primary button--large" onClick={onDone}>
          {t('supervisor.backToPayments')}
        </button>
      </div>
    </div>
  );
}
