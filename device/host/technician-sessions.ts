/**
 * Technician sessions: opened with the technician PIN, named by a random id the kiosk sends in the
 * `x-suanpan-technician` header on every `/api/technician/*` call. A session lasts
 * {@link TECHNICIAN_SESSION_MS} from its last use (sliding), so a technician at work is not thrown
 * out, and a kiosk left on the technician screen closes itself. In memory: a restart of the host
 * ends every session.
 *
 * Ids are compared like the token (digests through `timingSafeEqual`), one by one: there are at
 * most {@link MAX_TECHNICIAN_SESSIONS}, and a lookup by id in a Map would compare in variable time.
 */
import crypto from 'node:crypto';
import type { TechnicianSession } from './api-schema.ts';
import { ApiProblem, type Locale } from './errors.ts';
import { tokenMatches } from './security.ts';

/** 15 minutes from the last use: long enough to fetch a ladder, short enough for a kiosk left open. */
export const TECHNICIAN_SESSION_MS = 15 * 60_000;
/** One kiosk window, maybe a browser tab beside it; opening more ends the oldest. */
export const MAX_TECHNICIAN_SESSIONS = 4;
const SESSION_ID_BYTES = 32;

interface Session {
  id: string;
  expiresAt: number;
}

export class TechnicianSessions {
  private sessions: Session[] = [];

  constructor(private readonly options: { now: () => number; locale: () => Locale }) {}

  /** Opens a session (the PIN was checked by the caller). */
  open(): TechnicianSession {
    this.prune();
    const session = {
      id: crypto.randomBytes(SESSION_ID_BYTES).toString('base64url'),
      expiresAt: this.options.now() + TECHNICIAN_SESSION_MS,
    };
    this.sessions.push(session);
    if (this.sessions.length > MAX_TECHNICIAN_SESSIONS) this.sessions.shift();
    return { sessionId: session.id, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  /** Throws 401 TECHNICIAN_SESSION unless `id` names an open session; extends that session. */
  use(id: string | undefined): TechnicianSession {
    const session = this.find(id);
    if (!session) {
      throw ApiProblem.of(401, 'TECHNICIAN_SESSION', this.options.locale(), {
        detail: id === undefined ? 'no technician session header' : 'no such session, or it expired',
      });
    }
    session.expiresAt = this.options.now() + TECHNICIAN_SESSION_MS;
    return { sessionId: session.id, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  /** Ends the session `id` (after `use` checked it). */
  end(id: string): void {
    const session = this.find(id);
    this.sessions = this.sessions.filter((s) => s !== session);
  }

  /** Whether any session is open now. */
  get anyOpen(): boolean {
    this.prune();
    return this.sessions.length > 0;
  }

  private find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    this.prune();
    let found: Session | undefined;
    // Every session is compared, found or not: the time taken says nothing about which matched.
    for (const s of this.sessions) if (tokenMatches(s.id, id)) found = s;
    return found;
  }

  private prune(): void {
    const now = this.options.now();
    this.sessions = this.sessions.filter((s) => now < s.expiresAt);
  }
}
