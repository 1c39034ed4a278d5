/**
 * Compile-time proof that the renderer's view of the local API (src/api/contract.ts) matches the
 * host's schema (device/host/api-schema.ts): compiled by tsconfig.node.json, which boundary.test.ts
 * runs. Host to renderer, every host type must be assignable to the view (the host sends all the
 * renderer reads, with the same types); the state unions must be equal (the renderer names every
 * state the host can send, and no other); renderer to host, each body must satisfy the schema.
 */
import type { z } from 'zod';
import type * as Host from '../../../device/host/api-schema.ts';
import type { ScanKind } from '../../../device/scanning/scan-event.ts';
import type { ScannerState } from '../../../drivers/scanner/scanner.ts';
import type * as Wire from '../../../sync/protocol/wire.ts';
import type * as View from '../src/api/contract.ts';

type Holds<T extends true> = T;
type Assignable<From, To> = [From] extends [To] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type HostPayment = NonNullable<Host.CheckoutState['payment']>;
type HostScan = Extract<Host.HostEvent, { type: 'scan' }>['scan'];

export type ContractChecks = [
  Holds<Assignable<Host.HostStatus, View.HostStatus>>,
  Holds<Assignable<Host.OfflineQueue, View.OfflineQueue>>,
  Holds<Assignable<Host.CheckoutState, View.CheckoutState>>,
  Holds<Assignable<Host.HostEvent, View.HostEvent>>,
  Holds<Assignable<Host.PaymentList, View.PaymentList>>,
  Holds<Assignable<Host.ApiError, View.ApiErrorBody>>,
  Holds<Assignable<HostPayment, View.PaymentRecord>>,
  Holds<Same<Host.CheckoutPhase, View.CheckoutPhase>>,
  Holds<Same<HostPayment['status'], View.PaymentStatus>>,
  Holds<Same<NonNullable<HostPayment['mode']>, View.PaymentMode>>,
  Holds<Same<Host.HostEvent['type'], View.HostEvent['type']>>,
  Holds<Same<Host.HostStatus['terminal']['locale'], View.Locale>>,
  Holds<Assignable<View.StartCheckoutBody, z.input<typeof Host.StartCheckout>>>,
  Holds<Assignable<View.EnterCodeBody, z.input<typeof Host.EnterCode>>>,
  Holds<Same<typeof Host.API_PREFIX, typeof View.API_PREFIX>>,
  Holds<Same<typeof Host.WS_PATH, typeof View.WS_PATH>>,
  Holds<Same<typeof Host.WS_PROTOCOL, typeof View.WS_PROTOCOL>>,
  Holds<Same<typeof Host.WS_TOKEN_PREFIX, typeof View.WS_TOKEN_PREFIX>>,
  Holds<Same<typeof Host.MAX_PAYMENTS_LISTED, typeof View.MAX_PAYMENTS_LISTED>>,
  // Second slice: scans, devices, supervisor and technician actions, receipts, shift close.
  Holds<Assignable<HostScan, View.ScanSummary>>,
  Holds<Same<ScanKind, View.ScanKind>>,
  Holds<Same<ScannerState, View.ScannerState>>,
  Holds<Assignable<Host.PrintOutcome, View.PrintOutcome>>,
  Holds<Assignable<Host.ShiftClosed, View.ShiftClosed>>,
  Holds<Assignable<Host.PaymentChanged, View.PaymentChanged>>,
  Holds<Assignable<Host.Activated, View.Activated>>,
  Holds<Assignable<Host.TechnicianSession, View.TechnicianSession>>,
  Holds<Assignable<Host.TechnicianOverview, View.TechnicianOverview>>,
  Holds<Same<Host.TechnicianOverview['sync']['state'], View.SyncState>>,
  Holds<Assignable<View.PinBody, z.input<typeof Host.WithPin>>>,
  Holds<Assignable<View.ActivateBody, z.input<typeof Host.Activate>>>,
  Holds<Same<typeof Host.TECHNICIAN_HEADER, typeof View.TECHNICIAN_HEADER>>,
  Holds<Same<typeof Host.PIN_ATTEMPTS, typeof View.PIN_ATTEMPTS>>,
  Holds<Same<typeof Host.PIN_LOCK_S, typeof View.PIN_LOCK_S>>,
  // Third slice: the merchant's QR (phase `showing_qr`, checked above with the other phases).
  Holds<Assignable<NonNullable<Host.CheckoutState['qr']>, View.CheckoutQr>>,
  Holds<Same<typeof Wire.ORDER_VALID_S, typeof View.QR_ORDER_VALID_S>>,
  Holds<Same<typeof Wire.ORDER_SCHEME, typeof View.QR_SCHEME>>,
];
