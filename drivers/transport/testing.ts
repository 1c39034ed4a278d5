/** Test helpers for transports (used by tests only). */
import type { Transport, TransportError } from './transport.ts';

/** Everything a transport emits from now on: its data chunks and its close events. */
export function recordEvents(transport: Transport): {
  data: Buffer[];
  closes: (TransportError | undefined)[];
} {
  const seen = { data: [] as Buffer[], closes: [] as (TransportError | undefined)[] };
  transport.on('data', (chunk) => seen.data.push(chunk));
  transport.on('close', (err) => seen.closes.push(err));
  return seen;
}
