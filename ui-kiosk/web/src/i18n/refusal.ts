/**
 * A refused or failed call to the host in words for the cashier. The host's messages are already
 * in the terminal's language; the few refusals the kiosk words itself (the host unreachable, a
 * value typed wrong) are put in the cashier's language here.
 */
import { HostApiError } from '../api/client.ts';
import type { Translate } from './dictionary.ts';

export function refusalMessage(err: unknown, t: Translate): string {
  if (err instanceof HostApiError) {
    if (err.code === 'UNREACHABLE') return t('host.unreachable');
    if (err.code === 'NOT_A_PAYMENT_CODE') return t('reason.invalidCode');
    if (err.code === 'INVALID_AMOUNT') return t('reason.invalidAmount');
    return err.message;
  }
  return (err as Error).message;
}
