/**
 * `journal export`: every entry as JSON lines or CSV, streamed. Entries hold no payment code, only
 * its keyed hash and a masked form (first two and last four digits); the raw codes kept for
 * forwarding live in a separate table that is never exported.
 */
import { type StoredEntry, SYNC_RESULTS, type SyncResultsBody, stateAfter } from './entry.ts';

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

const CSV_COLUMNS = [
  'entry_seq',
  'at',
  'kind',
  'status',
  'payment_id',
  'seq',
  'amount_minor',
  'currency',
  'scheme',
  'code_masked',
  'mode',
  'reason',
  'details',
  'prev_hash',
  'hash',
  'signature',
  'mac',
] as const;

/** Known body members that get their own CSV column; the rest go to `details` as JSON. */
const OWN_COLUMNS = new Set([
  'paymentId',
  'seq',
  'amount',
  'scheme',
  'codeMasked',
  'status',
  'mode',
  'reason',
]);

export function* exportEntries(entries: Iterable<StoredEntry>, format: ExportFormat): Generator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  for (const e of entries) {
    const body = JSON.parse(e.body) as Record<string, unknown>;
    if (format === 'jsonl') {
      yield `${JSON.stringify({
        entrySeq: e.entrySeq,
        at: e.at,
        kind: e.kind,
        paymentId: e.paymentId,
        body,
        prevHash: e.prevHash.toString('hex'),
        hash: e.hash.toString('hex'),
        signature: e.sig?.toString('base64') ?? null,
        mac: e.mac.toString('hex'),
      })}\n`;
      continue;
    }
    if (e.kind === SYNC_RESULTS) {
      // One row per payment the entry settles or declines, so that a spreadsheet filters them as it
      // does the other state changes; the entry's own columns are repeated on each.
      for (const r of (body as Partial<SyncResultsBody>).results ?? [])
        yield csvRow(e, r.status, { ...r }, {});
      continue;
    }
    // The payment's state after this entry: a capture decided at once carries it in its body.
    yield csvRow(e, stateAfter(e.kind, body) ?? '', body, body);
  }
}

/**
 * One CSV row of entry `e`: `status` the payment's state after it, `facts` the members with their
 * own columns (the body, or one result of a sync_results entry), the rest of `body` as details.
 */
function csvRow(
  e: StoredEntry,
  status: string,
  facts: Record<string, unknown>,
  body: Record<string, unknown>,
): string {
  const amount = facts.amount as { minor?: number; currency?: string } | undefined;
  const details = Object.fromEntries(Object.entries(body).filter(([k]) => !OWN_COLUMNS.has(k)));
  const row = [
    e.entrySeq,
    e.at,
    e.kind,
    status,
    e.paymentId ?? facts.paymentId ?? '',
    facts.seq ?? '',
    amount?.minor ?? '',
    amount?.currency ?? '',
    facts.scheme ?? '',
    facts.codeMasked ?? '',
    facts.mode ?? '',
    facts.reason ?? '',
    Object.keys(details).length > 0 ? JSON.stringify(details) : '',
    e.prevHash.toString('hex'),
    e.hash.toString('hex'),
    e.sig?.toString('base64') ?? '',
    e.mac.toString('hex'),
  ];
  return `${row.map((v) => csvCell(String(v))).join(',')}\r\n`;
}

/**
 * RFC 4180 quoting, and a leading apostrophe before = + - @ so a spreadsheet opening the export
 * never runs a cell as a formula (CSV injection).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
