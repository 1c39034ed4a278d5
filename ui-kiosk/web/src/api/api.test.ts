import { describe, expect, test } from 'vitest';
import { HostApi } from './client.ts';
import { eventsUrl, RECONNECT_FIRST_MS, RECONNECT_MAX_MS, reconnectDelay } from './events.ts';
import { pickToken } from './token.ts';

describe('the token', () => {
  test('comes from the preload first, then the fragment, then this tab', () => {
    expect(pickToken({ preloadToken: 'p', hash: '#token=f', stored: 's' })).toEqual({
      token: 'p',
      fromFragment: false,
    });
    expect(pickToken({ preloadToken: undefined, hash: '#token=f-_1', stored: 's' })).toEqual({
      token: 'f-_1',
      fromFragment: true,
    });
    expect(pickToken({ preloadToken: undefined, hash: '', stored: 's' })).toEqual({
      token: 's',
      fromFragment: false,
    });
    expect(pickToken({ preloadToken: '', hash: '#other=1', stored: null }).token).toBeNull();
  });
});

describe('the event stream', () => {
  test('reconnects after a doubling delay with jitter, capped', () => {
    expect(reconnectDelay(0, () => 0.5)).toBe(RECONNECT_FIRST_MS);
    expect(reconnectDelay(1, () => 0.5)).toBe(RECONNECT_FIRST_MS * 2);
    expect(reconnectDelay(50, () => 0.5)).toBe(RECONNECT_MAX_MS);
    expect(reconnectDelay(50, () => 0.999)).toBeLessThanOrEqual(RECONNECT_MAX_MS * 1.25);
    expect(reconnectDelay(0, () => 0)).toBe(RECONNECT_FIRST_MS * 0.75);
  });

  test('connects to the host it came from', () => {
    expect(eventsUrl('http://127.0.0.1:7420')).toBe('ws://127.0.0.1:7420/api/events');
  });
});

describe('a keyboard-wedge scan', () => {
  test('goes to POST /api/scan with the token, and the answer is the scan as the host routed it', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const scan = { kind: 'payment_code', data: '28************3456', source: 'kiosk:wedge', at: 'now' };
    const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return new Response(JSON.stringify({ scan }), { status: 200 });
    };
    const api = new HostApi({ origin: 'http://127.0.0.1:7420', token: 't0k', fetch });
    expect(await api.scan('281234567890123456')).toEqual(scan);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://127.0.0.1:7420/api/scan');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.headers).toMatchObject({
      authorization: 'Bearer t0k',
      'content-type': 'application/json',
    });
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ data: '281234567890123456' });
  });
});

describe('show QR', () => {
  test('is POST /api/checkout/qr with the token and no body; a refusal carries the code and the words', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const answers = [
      new Response(JSON.stringify({ checkoutId: 'c-1', phase: 'working' }), { status: 202 }),
      new Response(JSON.stringify({ error: { code: 'CORE_UNREACHABLE', message: '连不上支付平台。' } }), {
        status: 503,
      }),
    ];
    const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return answers.shift() as Response;
    };
    const api = new HostApi({ origin: 'http://127.0.0.1:7420', token: 't0k', fetch });
    expect(await api.showQr()).toMatchObject({ checkoutId: 'c-1', phase: 'working' });
    expect(calls[0]?.url).toBe('http://127.0.0.1:7420/api/checkout/qr');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.body).toBeNull();
    expect(calls[0]?.init?.headers).toEqual({ authorization: 'Bearer t0k' });
    await expect(api.showQr()).rejects.toMatchObject({
      name: 'HostApiError',
      code: 'CORE_UNREACHABLE',
      message: '连不上支付平台。',
      status: 503,
    });
  });
});
