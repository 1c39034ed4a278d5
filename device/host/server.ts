/**
 * The kiosk's local API over HTTP and WebSocket (Fastify): routes, validation with the schemas of
 * api-schema.ts, and the guards of security.ts on every request. What the routes act on (the
 * terminal, the scan desk, the checkout) comes in as {@link HostServices}; host.ts wires them.
 *
 * Every request, in this order (onRequest hook, so a refused request reaches no route or file):
 *   1. `Host` must be `127.0.0.1:PORT`, else 403 WRONG_HOST (DNS rebinding);
 *   2. an `Origin`, when sent, must be `http://127.0.0.1:PORT`, else 403 FORBIDDEN_ORIGIN;
 *   3. under /api, this boot's token: `Authorization: Bearer`, or on the WebSocket the subprotocols
 *      `suanpan.v1` and `token.<token>`; else 401 UNAUTHENTICATED.
 * `GET /healthz` and the renderer's static files need no token. Every answer carries the security
 * headers; /api and /healthz answers are never cached.
 *
 * Beyond the token, two more guards, on the routes that need them: the supervisor PIN in the body
 * of a void or refund, and an open technician session (header `x-suanpan-technician`) on every
 * `/api/technician/*` route but the one that opens a session with the technician PIN.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type preHandlerAsyncHookHandler,
} from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import { AmountError, type Money, parseAmount } from '../../sync/protocol/money.ts';
import { describeIssue } from '../../sync/protocol/wire.ts';
import type { ScanEvent } from '../scanning/scan-event.ts';
import {
  Activate,
  type Activated,
  API_PREFIX,
  type ApiError,
  type CheckoutState,
  EnterCode,
  type Healthz,
  type HostEvent,
  type HostStatus,
  KioskScan,
  type PaymentChanged,
  type PaymentList,
  PaymentsQuery,
  type PrintOutcome,
  type ShiftClosed,
  StartCheckout,
  TECHNICIAN_HEADER,
  type TechnicianOverview,
  type TechnicianSession,
  WithPin,
  WS_PATH,
  WS_PROTOCOL,
} from './api-schema.ts';
import { ApiProblem, type Locale } from './errors.ts';
import type { EventHub } from './event-hub.ts';
import type { PinGuard } from './pin-guard.ts';
import {
  bearerToken,
  hostOrigin,
  LOOPBACK_HOST,
  offeredProtocols,
  securityHeaders,
  subprotocolToken,
  tokenMatches,
} from './security.ts';
import type { TechnicianSessions } from './technician-sessions.ts';

/** The largest body a route takes: a 4,096-character scan as JSON, with room to spare. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** The renderer sends nothing on the socket; a message larger than this closes it. */
const WS_MAX_PAYLOAD_BYTES = 4 * 1024;
/** Default of `GET /api/payments`. */
export const DEFAULT_PAYMENTS_LISTED = 50;

export const SCAN_SOURCE = { manual: 'kiosk:manual', wedge: 'kiosk:wedge' } as const;

/** What the routes act on. */
export interface HostServices {
  terminalId: string;
  version: string;
  locale: Locale;
  currency: string;
  status(): HostStatus;
  checkout: {
    current(): CheckoutState | null;
    readonly waitingForCode: boolean;
    start(amount: Money): CheckoutState;
    /** The checkout waiting for a code shows the merchant's QR instead. */
    showQr(): CheckoutState;
    cancel(): CheckoutState;
  };
  /** Routes a scan from the kiosk like any scanner's (ScanDesk.feed) and returns its event. */
  feedScan(data: string, source: string): ScanEvent;
  /** A scan as the kiosk may see it (masked; an activation card unmasked to a technician). */
  scanForKiosk(scan: ScanEvent): ScanEvent;
  payments(limit: number): PaymentRecord[];
  hub: EventHub;
  /** Resolves when the terminal services are up (they restart in place after an activation). */
  ready(): Promise<void>;
  pins: Pick<PinGuard, 'check'>;
  /** Throws ApiProblem (404, 409, 503, 504) with nothing recorded; see supervisor.ts. */
  voidPayment(paymentId: string): Promise<PaymentRecord>;
  refundPayment(paymentId: string): Promise<PaymentRecord>;
  /** The receipt drawn as a PNG; 404 for an unknown payment. */
  receiptPng(paymentId: string): Buffer;
  reprint(paymentId: string): Promise<PrintOutcome>;
  closeShift(): Promise<ShiftClosed>;
  technician: {
    sessions: Pick<TechnicianSessions, 'open' | 'use' | 'end'>;
    overview(): TechnicianOverview;
    printTest(): Promise<PrintOutcome>;
    openDrawer(): Promise<PrintOutcome>;
    /** Starts a sync now (its progress goes out as `sync` events); 409 NOT_ACTIVATED without a core. */
    syncNow(): void;
    activate(request: Activate): Promise<Activated>;
  };
}

/** `:id` of the payment routes: a payment id (a UUID), checked for size only; unknown ones are 404. */
const PaymentParams = z.object({ id: z.string().min(1).max(64) }).strict();

export interface HostServerOptions {
  services: HostServices;
  token: string;
  /** The built renderer (index.html and its assets). */
  webRoot: string;
  log: Logger;
  /**
   * Routes added beside the API (the demo's `/demo/...` pages). Outside /api the token is not
   * checked by the guards above: a route that needs it takes `auth` as its preHandler.
   */
  extraRoutes?: ExtraRoutes;
}

export type ExtraRoutes = (
  app: FastifyInstance,
  guards: { auth: preHandlerAsyncHookHandler },
) => void | Promise<void>;

/** The page `/` answers when the renderer has not been built. No script, no style: the CSP holds. */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>Suanpan 算盘</title></head>
<body>
<h1>Suanpan 算盘</h1>
<p>收银界面尚未构建：请在 Suanpan 目录中运行 <code>npm run build:web</code>，然后重新打开此页面。</p>
<p lang="en">The kiosk screens are not built yet: run <code>npm run build:web</code> in the Suanpan folder, then reload this page.</p>
<p lang="en">The terminal host is running: <a href="/healthz">/healthz</a>.</p>
</body>
</html>
`;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function isApi(urlPath: string): boolean {
  return urlPath === API_PREFIX || urlPath.startsWith(`${API_PREFIX}/`);
}

/**
 * What a request is for, as the router sees it: the pattern of the route it matched (`/api/status`),
 * else its path percent-decoded. Never the raw URL: the router decodes `/%61pi/status` to the
 * `/api/status` route, so a guard reading the raw text would wave it through.
 */
function routeOf(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  if (pattern !== undefined) return pattern;
  const raw = pathOf(request.url);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Validates with `schema`; a bad value is a 400 naming the field. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const described = r.error.issues.map(describeIssue);
  const first = described[0] as { field: string; message: string };
  throw new ApiProblem(400, 'BAD_REQUEST', described.map((d) => d.message).join('; '), {
    field: first.field,
  });
}

function errorBody(problem: ApiProblem): ApiError {
  return {
    error: {
      code: problem.code,
      message: problem.message,
      ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
      ...(problem.field !== undefined ? { field: problem.field } : {}),
      ...(problem.attemptsLeft !== undefined ? { attemptsLeft: problem.attemptsLeft } : {}),
      ...(problem.retryAfterS !== undefined ? { retryAfterS: problem.retryAfterS } : {}),
    },
  };
}

/** The technician session id a request presents (one header, once). */
function technicianSessionId(request: FastifyRequest): string | undefined {
  const value = request.headers[TECHNICIAN_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function buildHostServer(options: HostServerOptions): Promise<FastifyInstance> {
  const { services, token, log } = options;
  const { locale } = services;
  // forceCloseConnections: on close, cut every connection, not only idle ones: the host is stopping.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, forceCloseConnections: true });

  let boundPort: number | undefined;
  /** The port actually bound (known after listen; the options may have asked for 0). */
  const port = () => {
    boundPort ??= (app.server.address() as AddressInfo).port;
    return boundPort;
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err instanceof ApiProblem) {
      if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS));
      return reply.status(err.status).send(errorBody(err));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own refusals: a body that is not JSON, too large, of another media type.
      return reply
        .status(err.statusCode)
        .send(errorBody(ApiProblem.of(err.statusCode, 'BAD_REQUEST', locale, { detail: err.message })));
    }
    log.error({ err, url: pathOf(request.url), method: request.method }, 'kiosk API request failed');
    return reply.status(500).send(errorBody(ApiProblem.of(500, 'INTERNAL', locale, { detail: err.message })));
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(
          ApiProblem.of(404, 'NOT_FOUND', locale, { detail: `${request.method} ${pathOf(request.url)}` }),
        ),
      ),
  );

  // Registered before the guards: its own onRequest hook marks upgrade requests, so that a refused
  // upgrade's socket is destroyed after the refusal is written (else it stays open and blocks close).
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: WS_MAX_PAYLOAD_BYTES,
      // Answer with the protocol only: echoing `token.…` would put the token in the response.
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  });

  /** Throws 401 unless the request presents this boot's token. */
  const requireToken = (request: FastifyRequest) => {
    const presented =
      bearerToken(request.headers.authorization) ??
      (routeOf(request) === WS_PATH
        ? subprotocolToken(offeredProtocols(request.headers['sec-websocket-protocol']))
        : undefined);
    if (!tokenMatches(token, presented)) {
      throw ApiProblem.of(401, 'UNAUTHENTICATED', locale, {
        detail: presented === undefined ? 'no token presented' : 'not this boot’s token',
      });
    }
  };

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const own = hostOrigin(port());
    if (request.headers.host !== `${LOOPBACK_HOST}:${port()}`) {
      throw ApiProblem.of(403, 'WRONG_HOST', locale, {
        detail: `Host "${request.headers.host ?? ''}" is not ${LOOPBACK_HOST}:${port()}`,
      });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== own) {
      log.warn({ origin, url: pathOf(request.url) }, 'request from another origin refused');
      throw ApiProblem.of(403, 'FORBIDDEN_ORIGIN', locale, { detail: `Origin "${origin}" is not ${own}` });
    }
    if (isApi(routeOf(request))) {
      requireToken(request);
      // While the terminal services restart (after an activation), wait for them.
      await services.ready();
    }
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.headers(securityHeaders(port()));
    const route = routeOf(request);
    if (isApi(route) || route === '/healthz') reply.header('cache-control', 'no-store');
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="suanpan"');
  });

  // The renderer's files need no token: the page gets the token from its URL fragment (a browser
  // never sends the fragment) or the Electron preload.
  if (fs.existsSync(path.join(options.webRoot, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: path.resolve(options.webRoot),
      prefix: '/',
      index: 'index.html',
    });
  } else {
    log.warn({ webRoot: options.webRoot }, 'kiosk screens not built: `/` says how to build them');
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE));
  }

  app.get(
    '/healthz',
    async (): Promise<Healthz> => ({
      ok: true,
      version: services.version,
      terminalId: services.terminalId,
    }),
  );

  app.get(`${API_PREFIX}/status`, async (): Promise<HostStatus> => services.status());

  app.get(`${API_PREFIX}/checkout`, async (_request, reply) => {
    const state = services.checkout.current();
    return state ? state : reply.status(204).send();
  });

  app.post(`${API_PREFIX}/checkout`, async (request, reply) => {
    const body = parse(StartCheckout, request.body);
    let amount: Money;
    try {
      amount = parseAmount(body.amount, services.currency);
    } catch (err) {
      if (err instanceof AmountError) throw new ApiProblem(400, err.code, err.message, { field: 'amount' });
      throw err;
    }
    return reply.status(202).send(services.checkout.start(amount));
  });

  app.post(`${API_PREFIX}/checkout/code`, async (request, reply) => {
    const { code } = parse(EnterCode, request.body);
    if (!services.checkout.waitingForCode) throw ApiProblem.of(409, 'NO_CHECKOUT', locale);
    const scan = services.feedScan(code, SCAN_SOURCE.manual);
    if (scan.kind !== 'payment_code') {
      // Reported, never guessed: the checkout keeps waiting for a real code.
      throw ApiProblem.of(400, 'NOT_A_PAYMENT_CODE', locale, {
        field: 'code',
        detail: scan.kind === 'unknown' ? scan.reason : `a ${scan.kind} code`,
      });
    }
    return reply.status(202).send(services.checkout.current());
  });

  app.post(`${API_PREFIX}/checkout/qr`, async (_request, reply) =>
    reply.status(202).send(services.checkout.showQr()),
  );

  app.delete(`${API_PREFIX}/checkout`, async () => services.checkout.cancel());

  app.post(`${API_PREFIX}/scan`, async (request) => {
    const { data } = parse(KioskScan, request.body);
    return { scan: services.scanForKiosk(services.feedScan(data, SCAN_SOURCE.wedge)) };
  });

  app.get(`${API_PREFIX}/payments`, async (request): Promise<PaymentList> => {
    const { limit } = parse(PaymentsQuery, request.query);
    return { payments: services.payments(limit ?? DEFAULT_PAYMENTS_LISTED) };
  });

  // --- supervisor: void and refund, behind the supervisor PIN -------------------------------------

  app.post(`${API_PREFIX}/payments/:id/void`, async (request): Promise<PaymentChanged> => {
    const { id } = parse(PaymentParams, request.params);
    const { pin } = parse(WithPin, request.body);
    services.pins.check('supervisor', pin);
    return { payment: await services.voidPayment(id) };
  });

  app.post(`${API_PREFIX}/payments/:id/refund`, async (request): Promise<PaymentChanged> => {
    const { id } = parse(PaymentParams, request.params);
    const { pin } = parse(WithPin, request.body);
    services.pins.check('supervisor', pin);
    return { payment: await services.refundPayment(id) };
  });

  // --- cashier: receipts and the shift ------------------------------------------------------------

  app.get(`${API_PREFIX}/payments/:id/receipt.png`, async (request, reply) => {
    const { id } = parse(PaymentParams, request.params);
    return reply.type('image/png').send(services.receiptPng(id));
  });

  app.post(
    `${API_PREFIX}/payments/:id/reprint`,
    async (request): Promise<PrintOutcome> => services.reprint(parse(PaymentParams, request.params).id),
  );

  app.post(`${API_PREFIX}/shift/close`, async (): Promise<ShiftClosed> => services.closeShift());

  // --- technician: a session opened with the technician PIN, then its header on every route -------

  const { technician } = services;
  const TECHNICIAN = `${API_PREFIX}/technician`;
  /** 401 TECHNICIAN_SESSION unless the request names an open session; each use extends it. */
  const session = {
    preHandler: async (request: FastifyRequest) => {
      technician.sessions.use(technicianSessionId(request));
    },
  };

  app.post(`${TECHNICIAN}/session`, async (request): Promise<TechnicianSession> => {
    const { pin } = parse(WithPin, request.body);
    services.pins.check('technician', pin);
    return technician.sessions.open();
  });

  app.delete(`${TECHNICIAN}/session`, session, async (request, reply) => {
    technician.sessions.end(technicianSessionId(request) as string);
    return reply.status(204).send();
  });

  app.get(`${TECHNICIAN}/overview`, session, async (): Promise<TechnicianOverview> => technician.overview());

  app.post(`${TECHNICIAN}/printer/test`, session, async (): Promise<PrintOutcome> => technician.printTest());

  app.post(`${TECHNICIAN}/drawer/open`, session, async (): Promise<PrintOutcome> => technician.openDrawer());

  app.post(`${TECHNICIAN}/sync`, session, async (_request, reply) => {
    technician.syncNow();
    return reply.status(202).send({ syncing: true });
  });

  app.post(
    `${TECHNICIAN}/activate`,
    session,
    async (request): Promise<Activated> => technician.activate(parse(Activate, request.body)),
  );

  app.get(WS_PATH, { websocket: true }, (socket) => {
    const hello: HostEvent = { type: 'hello', status: services.status() };
    services.hub.add(socket, hello);
  });

  await options.extraRoutes?.(app, { auth: async (request) => requireToken(request) });

  return app;
}
