import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastUploadRequest, fastUploadResponse } from './fast-path.ts';
import {
  CLOCK_OFFSET_MAX_MS,
  CORE_PAYMENT_STATES,
  PATTERNS,
  RECORDED_STATES,
  UploadRequest,
  UploadResponse,
} from './wire.ts';

const hex32 = fc.stringMatching(PATTERNS.hex32);
const isoTime = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const amount = fc.record({
  minor: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  currency: fc.constantFrom('CNY', 'USD', 'EUR', 'HKD'),
});
const reason = fc.string({ maxLength: 510 });
const facts = {
  paymentId: fc.uuid(),
  amount,
  scheme: fc.stringMatching(PATTERNS.scheme),
  codeHash: hex32,
  capturedAt: isoTime,
};
const stored = fc.record(
  {
    ...facts,
    state: fc.constant('accepted_offline' as const),
    code: fc.stringMatching(PATTERNS.paymentCode),
    clockOffsetMs: fc.oneof(
      fc.integer({ min: -86_400_000, max: 86_400_000 }),
      fc.integer({ min: -CLOCK_OFFSET_MAX_MS, max: CLOCK_OFFSET_MAX_MS }),
    ),
  },
  { requiredKeys: ['paymentId', 'amount', 'scheme', 'codeHash', 'capturedAt', 'state', 'code'] },
);
const recorded = fc.record(
  {
    ...facts,
    state: fc.constantFrom(...RECORDED_STATES),
    mode: fc.constantFrom('online' as const, 'offline' as const),
    reason,
  },
  { requiredKeys: ['paymentId', 'amount', 'scheme', 'codeHash', 'capturedAt', 'state', 'mode'] },
);
const uploadRequest = fc
  .record({
    payments: fc.array(fc.oneof(stored, recorded), { maxLength: 8 }),
    seqs: fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 8, maxLength: 8 }),
    head: fc.record({
      entrySeq: fc.nat(),
      hash: hex32,
      signature: fc.option(fc.stringMatching(PATTERNS.signature)),
    }),
    atAnchor: fc.option(fc.record({ entrySeq: fc.integer({ min: 1, max: 1e9 }), hash: fc.option(hex32) })),
    queueDepth: fc.nat(),
    softwareVersion: fc.string({ maxLength: 44 }),
  })
  .map(({ payments, seqs, ...rest }) => {
    const ordered = [...seqs].sort((a, b) => a - b);
    return { ...rest, payments: payments.map((p, i) => ({ ...p, seq: ordered[i] as number })) };
  });
const uploadResponse = fc.record({
  results: fc.array(
    fc.record(
      {
        paymentId: fc.uuid(),
        seq: fc.integer({ min: 1, max: 1e9 }),
        state: fc.constantFrom(...CORE_PAYMENT_STATES),
        reason,
        duplicate: fc.boolean(),
      },
      { requiredKeys: ['paymentId', 'seq', 'state', 'duplicate'] },
    ),
    { maxLength: 6 },
  ),
  conflicts: fc.array(fc.record({ paymentId: fc.uuid(), seq: fc.integer({ min: 1, max: 1e9 }), reason }), {
    maxLength: 3,
  }),
  highestContiguousSeq: fc.nat(),
  anchor: fc.option(fc.record({ entrySeq: fc.integer({ min: 1, max: 1e9 }), hash: hex32 })),
});

/** Every place in a JSON value: the containers on the way and the key or index there. */
function places(value: unknown, out: { parent: Record<string, unknown> | unknown[]; key: string }[] = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: String(i) });
      places(v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k });
      places(v, out);
    }
  }
  return out;
}

const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, '', '1', 'CNy', 'XYZ', null, [], {}, true, 'x'.repeat(501)),
  fc.string(),
);

/** A message with one thing changed: a key removed or added, or a value replaced. */
function mutated<T>(base: fc.Arbitrary<T>) {
  return fc
    .tuple(base, fc.nat(), fc.constantFrom('delete', 'add', 'replace'), replacement)
    .map(([value, at, op, v]) => {
      const copy = structuredClone(value) as unknown;
      const all = places(copy);
      const place = all[at % Math.max(1, all.length)];
      if (!place) return copy;
      const { parent, key } = place;
      if (Array.isArray(parent)) {
        if (op === 'delete') parent.splice(Number(key), 1);
        else if (op === 'add') parent.push(v);
        else parent[Number(key)] = v;
      } else if (op === 'delete') delete parent[key];
      else if (op === 'add') parent[`${key}_extra`] = v;
      else parent[key] = v;
      return copy;
    });
}

describe('fast acceptance of uploads and their answers', () => {
  it('accepts every valid upload, as the schema parses it', () => {
    fc.assert(
      fc.property(uploadRequest, (request) => {
        const json = JSON.parse(JSON.stringify(request));
        const zod = UploadRequest.safeParse(json);
        expect(zod.success).toBe(true);
        expect(fastUploadRequest(json)).toEqual(zod.data);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts an upload the schema refuses', () => {
    fc.assert(
      fc.property(mutated(uploadRequest), (value) => {
        const json = JSON.parse(JSON.stringify(value));
        if (fastUploadRequest(json) !== null) expect(UploadRequest.safeParse(json).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('accepts every valid answer, and never one the schema refuses', () => {
    fc.assert(
      fc.property(uploadResponse, (response) => {
        const json = JSON.parse(JSON.stringify(response));
        expect(fastUploadResponse(json)).toEqual(UploadResponse.parse(json));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(mutated(uploadResponse), (value) => {
        const json = JSON.parse(JSON.stringify(value));
        if (fastUploadResponse(json) !== null) expect(UploadResponse.safeParse(json).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('leaves to the schema what it does not know: out of order, too long, unknown currency', () => {
    const p = (seq: number) => ({
      paymentId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      seq,
      amount: { minor: 100, currency: 'CNY' },
      scheme: 'alipay',
      codeHash: 'a'.repeat(64),
      capturedAt: '2026-11-25T09:30:00.000Z',
      state: 'accepted_offline',
      code: '281234567890123456',
    });
    const request = (payments: unknown[]) => ({
      payments,
      head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
      atAnchor: null,
      queueDepth: 0,
      softwareVersion: 't',
    });
    expect(fastUploadRequest(request([p(1), p(2)]))).not.toBeNull();
    expect(fastUploadRequest(request([p(2), p(1)]))).toBeNull();
    expect(fastUploadRequest(request(Array.from({ length: 2001 }, (_, i) => p(i + 1))))).toBeNull();
    expect(fastUploadRequest(request([{ ...p(1), amount: { minor: 100, currency: 'ABC' } }]))).toBeNull();
    expect(fastUploadRequest(request([{ ...p(1), capturedAt: '2026-02-30T09:30:00.000Z' }]))).toBeNull();
    expect(fastUploadRequest(request([{ ...p(1), clockOffsetMs: -600_000 }]))).not.toBeNull();
    for (const clockOffsetMs of [0.5, CLOCK_OFFSET_MAX_MS + 1, '600000', null]) {
      const bad = request([{ ...p(1), clockOffsetMs }]);
      expect(fastUploadRequest(bad)).toBeNull();
      expect(UploadRequest.safeParse(bad).error?.issues[0]?.path).toEqual(['payments', 0, 'clockOffsetMs']);
    }
  });
});
