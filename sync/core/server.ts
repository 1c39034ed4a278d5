/**
 * The reference core over HTTP (Fastify). Terminal routes under /v1 require a request signature
 * (sync/protocol/signing.ts); bodies are validated by the shared wire schemas, and a bad one gets
 * 400 naming the field. Operator routes under /admin/v1 answer only on loopback with the admin
 * token, so `suanpan core ...` commands can reach an embedded database a running server holds; a
 * core listening on an address loopback can't reach gets a loopback listener for them too.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { fastUploadRequest } from '../protocol/fast-path.ts';
import { parseAmount } from '../protocol/money.ts';
import { parseSignature, SignatureError, verifySignature } from '../protocol/signing.ts';
import {
  ActivateRequest,
  AuthoriseRequest,
  CancelRequest,
  describeIssue,
  type ErrorCode,
  OrderRequest,
  PATHS,
  RefundRequest,
  TerminalId,
  UploadRequest,
} from '../protocol/wire.ts';
import { type CoreDb, CoreDbUnavailableError } from './db.ts';
import { CoreError, unauthenticated } from './errors.ts';
import { migrateCore } from './migrate.ts';
import {
  type Admission,
  admittedTerminal,
  type CoreService,
  publicKeyFromBase64,
  type TerminalRow,
} from './service.ts';

/** 2,000 payments of ~400 bytes each, with room to spare. */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** How often stale nonces are deleted and stale statistics refreshed (autovacuum's naptime). */
const HOUSEKEEPING_MS = 60_000;
/**
 * How long /healthz waits for the database's `SELECT 1`: a hung database (a stalled network, a
 * backend that never answers) fails the probe in this time rather than hanging it too.
 */
export const HEALTH_DB_TIMEOUT_MS = 2_000;

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    /** The core's clock when the request's headers arrived, before its body (see onRequest). */
    arrivedAtMs?: number;
    terminal?: TerminalRow;
    /** A signed request not yet admitted (a route that admits it in its own transaction). */
    admission?: Admission;
  }
}

export interface CoreServerOptions {
  service: CoreService;
  db: CoreDb;
  log: Logger;
  now?: () => Date;
  /** Enables the operator routes; null disables them. */
  adminToken?: string | null;
  version: string;
}

const SIGNATURE_CODES: Record<SignatureError['problem'], ErrorCode> = {
  UNSIGNED: 'UNAUTHENTICATED',
  MALFORMED: 'BAD_SIGNATURE',
  WRONG_COMPONENTS: 'BAD_SIGNATURE',
  DIGEST_MISMATCH: 'BAD_SIGNATURE',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  STALE: 'STALE_REQUEST',
};

/** Validates with `schema`; `fast` may accept a certainly valid value first (see fast-path.ts). */
function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fast?: (value: unknown) => z.infer<S> | null,
): z.infer<S> {
  const accepted = fast?.(value);
  if (accepted) return accepted;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw badRequest(r.error);
}

/** The 400 for a value the schema refused, naming the first bad field. */
function badRequest(error: z.ZodError): CoreError {
  const described = error.issues.map(describeIssue);
  const first = described[0] as { field: string; message: string };
  return new CoreError(400, 'BAD_REQUEST', described.map((d) => d.message).join('; '), first.field);
}

/**
 * `SELECT 1` through the core's database within `timeoutMs`: undefined when it answered, else what
 * went wrong, said for people (with the error's code, never its text: see the route).
 */
async function databaseProblem(
  db: CoreDb,
  timeoutMs: number,
): Promise<{ message: string; err: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const what = `The core's database (${db.kind})`;
  const advice =
    db.kind === 'postgres'
      ? 'Check that PostgreSQL runs and the core can reach it; the core reconnects by itself.'
      : 'Restart the core; if it fails again, its log says why.';
  try {
    // A query still running at the timeout is abandoned: race() subscribed to it, so its late
    // failure is not an unhandled rejection.
    const outcome = await Promise.race([db.query('SELECT 1'), timedOut]);
    if (outcome === 'timeout') {
      return {
        message: `${what} did not answer within ${timeoutMs / 1000} s. ${advice}`,
        err: new Error(`SELECT 1 did not answer within ${timeoutMs} ms`),
      };
    }
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason = typeof code === 'string' ? ` (${code})` : '';
    return { message: `${what} failed a check${reason}. ${advice}`, err };
  } finally {
    clearTimeout(timer);
  }
}

export async function buildCoreServer(options: CoreServerOptions): Promise<FastifyInstance> {
  const { service, log } = options;
  const now = () => (options.now ?? (() => new Date()))();
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });

  // A request's freshness and the terminal's clock offset are taken from when it arrived: a batch
  // on a slow link takes seconds to arrive, which is neither staleness nor clock error (counted as
  // clock error, it made every offline code in the batch look that much older).
  app.addHook('onRequest', async (request) => {
    request.arrivedAtMs = now().getTime();
  });

  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch {
      done(new CoreError(400, 'BAD_REQUEST', 'the body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err instanceof CoreError) {
      return reply.status(err.status).send({
        error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) },
      });
    }
    if (err instanceof SignatureError) {
      return reply.status(401).send({ error: { code: SIGNATURE_CODES[err.problem], message: err.message } });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
    if (err instanceof CoreDbUnavailableError) {
      log.error({ err: err.message, url: request.url }, 'core request refused: database unreachable');
      return reply.status(503).send({
        error: {
          code: 'CORE_UNAVAILABLE',
          message:
            "The core can't reach its database just now, so it did nothing with this request. Try again later.",
        },
      });
    }
    log.error({ err, url: request.url }, 'core request failed');
    return reply.status(500).send({
      error: {
        code: 'INTERNAL',
        message: 'The core failed to handle this request (see its log); whether it was applied is not known.',
      },
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}` } }),
  );

  /** Checks the signature and its freshness: the request is then to be admitted by its nonce. */
  const verify = async (request: FastifyRequest): Promise<Admission> => {
    const parsed = parseSignature(request.headers);
    const key = await service.terminalKey(parsed.params.keyid);
    if (!key) {
      throw unauthenticated(
        'UNKNOWN_TERMINAL',
        `Terminal ${parsed.params.keyid} is not activated at this core.`,
      );
    }
    const at = request.arrivedAtMs ?? now().getTime();
    verifySignature(
      parsed,
      { method: request.method, target: request.url, body: request.rawBody ?? '', headers: request.headers },
      key,
      at,
    );
    const localTime = Number(request.headers['suanpan-local-time']);
    return { terminalId: parsed.params.keyid, nonce: parsed.params.nonce, clockOffsetMs: at - localTime };
  };
  /** The terminal's status and the nonce, after the signature: refused with 401 (admittedTerminal). */
  const admit = async (admission: Admission) =>
    admittedTerminal(
      admission.terminalId,
      await service.admit(admission.terminalId, admission.nonce, admission.clockOffsetMs),
    );
  /** Checks the signature, the terminal's status, freshness and the nonce; sets request.terminal. */
  const authenticate = async (request: FastifyRequest) => {
    request.terminal = await admit(await verify(request));
  };
  const terminal = (request: FastifyRequest) => request.terminal as TerminalRow;
  const signed = { preHandler: authenticate };

  // Ready means the database answers: a core without it refuses every payment, so a probe (a load
  // balancer, a supervisor) should take it out of service rather than see it as healthy.
  app.get(PATHS.healthz, async (_request, reply) => {
    const health = { service: 'suanpan-core', version: options.version, database: options.db.kind };
    const problem = await databaseProblem(options.db, HEALTH_DB_TIMEOUT_MS);
    if (!problem) return { ok: true, ...health };
    log.warn(
      { err: problem.err, database: options.db.location },
      'health check: the database did not answer',
    );
    // The driver's message stays in the log: it can name hosts and addresses, and the probe is
    // open to anyone who can reach the core.
    return reply.status(503).send({ ok: false, ...health, error: problem.message });
  });

  app.post(PATHS.activate, async (request) => {
    const body = parse(ActivateRequest, request.body);
    // The terminal is not known yet: the request must be signed by the key it presents.
    const parsed = parseSignature(request.headers);
    if (parsed.params.keyid !== body.terminalId) {
      throw unauthenticated('BAD_SIGNATURE', 'the signature key id is not the terminal being activated');
    }
    verifySignature(
      parsed,
      { method: request.method, target: request.url, body: request.rawBody ?? '', headers: request.headers },
      publicKeyFromBase64(body.publicKey),
      now().getTime(),
    );
    return service.activate(body);
  });

  // Admitted by the payment's own transaction (CoreService.authorise); a body refused with 400 is
  // admitted first as on any other route, so a request is refused for its terminal or its nonce
  // before its body.
  app.post(
    PATHS.authorise,
    {
      preHandler: async (request: FastifyRequest) => {
        request.admission = await verify(request);
      },
    },
    async (request) => {
      const admission = request.admission as Admission;
      const body = AuthoriseRequest.safeParse(request.body);
      if (!body.success) {
        await admit(admission);
        throw badRequest(body.error);
      }
      return service.authorise(admission, body.data);
    },
  );

  const PaymentParams = z.object({ paymentId: z.uuid() }).strict();
  app.get('/v1/payments/:paymentId', signed, async (request) =>
    service.query(terminal(request), parse(PaymentParams, request.params).paymentId),
  );
  app.post('/v1/payments/:paymentId/cancel', signed, async (request) =>
    service.cancel(
      terminal(request),
      parse(PaymentParams, request.params).paymentId,
      parse(CancelRequest, request.body),
    ),
  );
  app.post('/v1/payments/:paymentId/refund', signed, async (request) =>
    service.refund(
      terminal(request),
      parse(PaymentParams, request.params).paymentId,
      parse(RefundRequest, request.body),
    ),
  );
  app.post(PATHS.orders, signed, async (request) =>
    service.createOrder(terminal(request), parse(OrderRequest, request.body)),
  );

  app.get(PATHS.syncState, signed, async (request) => service.syncState(terminal(request)));
  app.post(PATHS.upload, signed, async (request) =>
    service.upload(terminal(request), parse(UploadRequest, request.body, fastUploadRequest)),
  );
  const ResultsQuery = z
    .object({
      fromSeq: z.coerce.number().int().min(1),
      limit: z.coerce.number().int().min(1).max(2000).default(500),
    })
    .strict();
  app.get(PATHS.results, signed, async (request) => {
    const q = parse(ResultsQuery, request.query);
    return service.results(terminal(request), q.fromSeq, q.limit);
  });

  if (options.adminToken) registerAdmin(app, service, options.adminToken);
  return app;
}

/** Operator routes, for the CLI when a running server holds an embedded database. */
function registerAdmin(app: FastifyInstance, service: CoreService, token: string): void {
  const expected = crypto.createHash('sha256').update(`Bearer ${token}`).digest();
  const operator = async (request: FastifyRequest, reply: FastifyReply) => {
    const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.ip);
    const given = crypto
      .createHash('sha256')
      .update(request.headers.authorization ?? '')
      .digest();
    if (!loopback || !crypto.timingSafeEqual(given, expected)) {
      return reply.status(401).send({
        error: { code: 'UNAUTHENTICATED', message: 'operator routes need the admin token, on loopback' },
      });
    }
  };
  const guarded = { preHandler: operator };
  const Id = z.object({ id: z.uuid() }).strict();
  app.post('/admin/v1/merchants', guarded, async (r) =>
    service.createMerchant(parse(z.object({ name: z.string().min(1).max(200) }).strict(), r.body).name),
  );
  app.post('/admin/v1/activation-codes', guarded, async (r) =>
    service.createActivationCode(parse(z.object({ merchantId: z.uuid() }).strict(), r.body).merchantId),
  );
  app.post('/admin/v1/wallets', guarded, async (r) => {
    const body = parse(
      z.object({ balance: z.string(), currency: z.string().default('CNY') }).strict(),
      r.body,
    );
    return service.createWallet(parseAmount(body.balance, body.currency));
  });
  app.post('/admin/v1/wallets/:id/codes', guarded, async (r) =>
    service.issueWalletCode(parse(Id, r.params).id),
  );
  app.get('/admin/v1/wallets/:id', guarded, async (r) => service.wallet(parse(Id, r.params).id));
  // The wallet provider's backend, paying an order whose QR the customer scanned with this wallet.
  app.post('/admin/v1/wallets/:id/pay-order', guarded, async (r) =>
    service.payOrder(
      parse(Id, r.params).id,
      parse(z.object({ paymentId: z.uuid() }).strict(), r.body).paymentId,
    ),
  );
  app.get('/admin/v1/payments', guarded, async (r) => {
    const q = parse(
      z
        .object({
          terminal: TerminalId.optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(100),
        })
        .strict(),
      r.query,
    );
    return service.payments({ terminalId: q.terminal, limit: q.limit });
  });
  app.post('/admin/v1/terminals/:id/revoke', guarded, async (r) =>
    service.revokeTerminal(parse(z.object({ id: TerminalId }).strict(), r.params).id),
  );
  app.get('/admin/v1/terminals', guarded, async (r) =>
    service.terminals({
      terminalId: parse(z.object({ terminal: TerminalId.optional() }).strict(), r.query).terminal,
    }),
  );
  app.get('/admin/v1/ledger', guarded, async () => service.ledgerCheck());
}

export interface RunningCore {
  url: string;
  /**
   * Where the operator routes answer, on loopback (see operatorAddress); undefined when they are
   * disabled (no admin token).
   */
  operatorUrl?: string;
  service: CoreService;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Where the operator routes of a core listening on `address` (the address it bound, a name
 * resolved) are reached: on loopback, the only place they answer. A wildcard listener takes them
 * there itself, on its own family's loopback ('::' may be IPv6-only, so ::1); so does one bound to
 * 127.0.0.1 or ::1. Any other address (an interface's address, e.g. `--host 192.0.2.2`, or another
 * loopback alias) takes no connection to 127.0.0.1: the routes get a listener of their own there.
 */
export function operatorAddress(address: string): { host: '127.0.0.1' | '::1'; ownListener: boolean } {
  if (address === '0.0.0.0' || address === '127.0.0.1') return { host: '127.0.0.1', ownListener: false };
  if (address === '::' || address === '::1') return { host: '::1', ownListener: false };
  return { host: '127.0.0.1', ownListener: true };
}

const urlOf = (host: string, port: number) => `http://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;

/** A second listener for `app` on `host` (a port of its own), closed by the function it resolves to. */
async function listenAlso(
  app: FastifyInstance,
  host: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => app.routing(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * Migrates, listens, and keeps house (old nonces deleted, stale statistics refreshed); `close` stops
 * all of it (the database stays open).
 */
export async function startCore(
  options: CoreServerOptions & { host: string; port: number },
): Promise<RunningCore> {
  await migrateCore(options.db);
  const app = await buildCoreServer(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let operatorUrl: string | undefined;
  let operatorListener: { port: number; close: () => Promise<void> } | undefined;
  if (options.adminToken && typeof address === 'object' && address) {
    const operator = operatorAddress(address.address);
    if (operator.ownListener) {
      try {
        operatorListener = await listenAlso(app, operator.host);
      } catch (err) {
        await app.close();
        throw err;
      }
    }
    operatorUrl = urlOf(operator.host, operatorListener?.port ?? port);
  }
  const sweep = setInterval(() => {
    options.service.forgetOldNonces().catch((err) => options.log.warn({ err }, 'nonce sweep failed'));
    options.service
      .refreshStatistics()
      .then((tables) => {
        if (tables.length > 0) options.log.debug({ tables }, 'planner statistics refreshed');
      })
      .catch((err) => options.log.warn({ err }, 'refreshing planner statistics failed'));
  }, HOUSEKEEPING_MS);
  sweep.unref();
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.log.info(
    { url: `http://${host}:${port}`, operatorUrl, database: options.db.location },
    'core listening',
  );
  return {
    url: `http://${host}:${port}`,
    operatorUrl,
    service: options.service,
    app,
    close: async () => {
      clearInterval(sweep);
      await operatorListener?.close();
      await app.close();
    },
  };
}
