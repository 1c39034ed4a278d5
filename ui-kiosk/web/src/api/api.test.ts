import { describe, expect, test } from 'vitest';
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
