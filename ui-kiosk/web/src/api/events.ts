/**
 * The host's event stream (WebSocket `/api/events`), kept open: on a close or a failed connect it
 * reconnects after a growing, jittered delay, and reports each change of connection so the kiosk
 * can say "connection to the terminal lost, reconnecting". A browser cannot put headers on a
 * WebSocket, so the token travels as the subprotocol `token.<token>` beside `suanpan.v1`.
 */
import { type HostEvent, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from './contract.ts';

export type StreamState =
  /** First connection not made yet. */
  | 'connecting'
  | 'open'
  /** It was open (or never opened) and is now retrying. */
  | 'lost';

/** First retry delay: a restarting host answers again within a second. */
export const RECONNECT_FIRST_MS = 500;
/** Longest delay between tries, so the kiosk is back within seconds of the host. */
export const RECONNECT_MAX_MS = 5_000;

/** Delay before reconnect attempt `attempt` (0-based): doubling from the first, capped, ±25 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.75 + random() * 0.5));
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocket;

export interface HostEventsOptions {
  /** The host's origin, "http://127.0.0.1:7420". */
  origin: string;
  token: string;
  onEvent: (event: HostEvent) => void;
  onState: (state: StreamState) => void;
  createSocket?: WebSocketFactory;
}

export function eventsUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}${WS_PATH}`;
}

export class HostEvents {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = true;
  private everOpen = false;

  constructor(private readonly options: HostEventsOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.options.onState('connecting');
    this.connect();
  }

  /** Closes the socket and stops reconnecting; no callback runs afterwards. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
  }

  private connect(): void {
    const create =
      this.options.createSocket ?? ((url: string, protocols: string[]) => new WebSocket(url, protocols));
    let socket: WebSocket;
    try {
      socket = create(eventsUrl(this.options.origin), [
        WS_PROTOCOL,
        `${WS_TOKEN_PREFIX}${this.options.token}`,
      ]);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.everOpen = true;
      this.options.onState('open');
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let event: HostEvent;
      try {
        event = JSON.parse(message.data) as HostEvent;
      } catch {
        return; // Not ours to guess at; the host sends JSON only.
      }
      this.options.onEvent(event);
    };
    // A failed connect fires error then close; only close schedules the retry.
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.options.onState(this.everOpen || this.attempt > 0 ? 'lost' : 'connecting');
    const delay = reconnectDelay(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }
}
