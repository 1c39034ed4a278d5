/**
 * The payment-code scheme table a terminal uses: the wallets' table (device/checkout), with the
 * reference core's demo wallet in front when the settings ask for it. Checkout and scan routing
 * take the same table, so a scan's scheme and the journal's agree.
 */
import { DEFAULT_SCHEMES, type SchemeRule } from '../checkout/payment-code.ts';
import type { Settings } from '../config/settings.ts';

/** The reference core's demo wallet codes: "28" then 16 digits, 18 in all (sync/core/wallet-codes.ts). */
export const DEMO_WALLET_RULE: SchemeRule = {
  scheme: 'demo',
  prefixes: [{ from: 28, to: 28 }],
  length: { min: 18, max: 18 },
};

export function paymentSchemes(settings: Pick<Settings, 'scanner'>): readonly SchemeRule[] {
  return settings.scanner.demoWalletCodes ? [DEMO_WALLET_RULE, ...DEFAULT_SCHEMES] : DEFAULT_SCHEMES;
}
