/**
 * The demo's own page and routes, served by the host next to the kiosk: `/demo/wallet` shows the
 * demo wallet's live payment code (QR and digits) and balance, "presents" it to the simulated
 * scanner, and stops or starts the core so a newcomer sees the offline path. When the kiosk shows
 * the merchant's QR, the page offers to pay it, as if the customer had scanned it with the wallet.
 * The page is plain HTML with its script and styles in their own files (the host's CSP allows no
 * inline code); the QR is drawn on the host as SVG, so the page needs no bundle.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { CoreError } from '../../sync/core/errors.ts';
import type { Money } from '../../sync/protocol/money.ts';
import { ORDER_QR_PREFIX } from '../../sync/protocol/wire.ts';
import type { CheckoutState } from '../host/api-schema.ts';
import type { DemoWorld } from './demo-world.ts';
import { DEMO_SUPERVISOR_PIN, DEMO_TECHNICIAN_PIN, DemoCoreStopped } from './demo-world.ts';

/** The merchant's QR the kiosk shows now: its text and the amount it asks. */
export interface ShownQr {
  text: string;
  amount: Money;
}

/** A QR order as the wallet page offers to pay it. */
export interface PayableOrder {
  paymentId: string;
  amount: Money;
}

export interface DemoRouteOptions {
  /** The host's token check, for the page's data routes. */
  auth: preHandlerHookHandler;
  /**
   * The QR the kiosk shows now, or null (`suanpan demo` reads it from the host's checkout, see
   * {@link shownQr}). Without it the page never offers a QR payment.
   */
  currentQr?: () => ShownQr | null | Promise<ShownQr | null>;
}

/** The QR a checkout shows, while it shows one (phase `showing_qr`). */
export function shownQr(checkout: CheckoutState | null): ShownQr | null {
  return checkout?.phase === 'showing_qr' && checkout.qr
    ? { text: checkout.qr.text, amount: checkout.amount }
    : null;
}

/**
 * The QR the kiosk shows now, read from the host's own API (`GET /api/checkout`, with its token):
 * the demo's routes are registered inside the host, which hands them no handle on its checkout.
 * `host` is the running host, once started.
 */
export function hostShownQr(
  host: () => { url: string; token: string } | undefined,
): () => Promise<ShownQr | null> {
  return async () => {
    const running = host();
    if (!running) return null;
    const response = await fetch(`${running.url}/api/checkout`, {
      headers: { authorization: `Bearer ${running.token}` },
    });
    if (response.status === 204) return null;
    if (!response.ok) throw new Error(`GET /api/checkout answered HTTP ${response.status}`);
    return shownQr((await response.json()) as CheckoutState);
  };
}

const PaymentId = z.uuid();

/** The order a shown QR names (`suanpan://order/<paymentId>`, wire.ts); null for any other text. */
export function orderOf(qr: ShownQr | null): PayableOrder | null {
  if (!qr?.text.startsWith(ORDER_QR_PREFIX)) return null;
  const paymentId = qr.text.slice(ORDER_QR_PREFIX.length);
  return PaymentId.safeParse(paymentId).success ? { paymentId, amount: qr.amount } : null;
}

/** Why the wallet could not pay the order, in the page's two languages; the core's words as detail. */
const PAY_REFUSALS: Readonly<Record<string, string>> = {
  ORDER_NOT_PENDING:
    '这笔订单已不能支付（已付款或已取消）· This order can no longer be paid (paid or cancelled).',
  ORDER_EXPIRED: '收款码已过期，请收银员重新出示 · The QR code has expired: the cashier shows a new one.',
  PAYMENT_REFUSED: '钱包余额不足或币种不符 · The wallet cannot pay it (balance or currency).',
  NOT_FOUND: '支付平台没有这笔订单 · The payment core has no such order.',
};

/** A refusal of `POST /demo/api/pay-order` as the host's ApiError body, or null for an unexpected error. */
function payRefusal(err: unknown): { status: number; code: string; message: string; detail?: string } | null {
  if (err instanceof DemoCoreStopped) {
    return {
      status: 409,
      code: 'CORE_STOPPED',
      message: '核心已停止 · The core is stopped.',
      detail: err.message,
    };
  }
  if (err instanceof CoreError && err.status < 500) {
    const message = PAY_REFUSALS[err.code] ?? err.message;
    return { status: err.status, code: err.code, message, detail: err.message };
  }
  return null;
}

export function registerDemoRoutes(app: FastifyInstance, world: DemoWorld, options: DemoRouteOptions): void {
  const order = async (): Promise<PayableOrder | null> => orderOf((await options.currentQr?.()) ?? null);
  app.get('/demo/wallet', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/demo/wallet.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(SCRIPT),
  );
  app.get('/demo/wallet.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE));

  const guarded = { preHandler: options.auth };
  app.get('/demo/api/wallet', guarded, async () => {
    if (!world.coreRunning()) return { core: 'stopped', pins: pins(), order: await order() };
    const [code, balance] = await Promise.all([world.walletCode(), world.walletBalance()]);
    const qrSvg = await QRCode.toString(code.code, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return {
      core: 'running',
      code: code.code,
      expiresAt: code.expiresAt,
      balance,
      qrSvg,
      pins: pins(),
      order: await order(),
    };
  });
  // Polled every second by the page, so the QR's order shows as soon as the kiosk shows it:
  // /demo/api/wallet issues a fresh payment code on every call, too much for a one-second poll.
  app.get('/demo/api/order', guarded, async () => ({ order: await order() }));
  app.post('/demo/api/pay-order', guarded, async (request, reply) => {
    const body = z.object({ paymentId: PaymentId }).strict().safeParse(request.body);
    if (!body.success) {
      return reply.status(400).send({
        error: {
          code: 'BAD_REQUEST',
          message: '需要 paymentId · A paymentId is needed.',
          field: 'paymentId',
        },
      });
    }
    try {
      const { amount } = await world.payOrder(body.data.paymentId);
      return { paid: true, paymentId: body.data.paymentId, amount };
    } catch (err) {
      const refusal = payRefusal(err);
      if (!refusal) throw err;
      const { status, ...error } = refusal;
      return reply.status(status).send({ error });
    }
  });
  app.post('/demo/api/present', guarded, async (request) => {
    const { code } = z
      .object({ code: z.string().regex(/^[0-9]{16,24}$/) })
      .strict()
      .parse(request.body);
    await world.present(code);
    return { presented: true };
  });
  app.post('/demo/api/core/:action', guarded, async (request) => {
    const { action } = z.object({ action: z.enum(['stop', 'start']) }).parse(request.params);
    if (action === 'stop') await world.stopCore();
    else await world.startCore();
    return { core: world.coreRunning() ? 'running' : 'stopped' };
  });
}

const pins = () => ({ supervisor: DEMO_SUPERVISOR_PIN, technician: DEMO_TECHNICIAN_PIN });

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>演示钱包 · Demo wallet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/wallet.css">
<script type="module" src="/demo/wallet.js"></script>
</head>
<body>
<main>
  <h1>演示钱包 <span>Demo wallet</span></h1>
  <p class="hint">这是顾客手机上的付款码。在收银台输入金额后，点“出示给扫码枪”。<br>The customer's payment code. Enter an amount at the till, then press “Present to the scanner”.</p>
  <section id="order" hidden aria-live="polite">
    <h2>扫收银台二维码付款 · Pay the QR shown at the till</h2>
    <p id="order-amount"></p>
    <button id="pay-order" type="button">扫码并付款 · Scan it and pay</button>
  </section>
  <section id="wallet" aria-live="polite">
    <div id="qr" role="img" aria-label="payment code QR"></div>
    <p id="digits">…</p>
    <p id="expires"></p>
    <p>余额 Balance: <strong id="balance">…</strong></p>
  </section>
  <div class="buttons">
    <button id="present" type="button">出示给扫码枪 · Present to the scanner</button>
    <button id="core" type="button">停止核心（离线）· Stop the core (go offline)</button>
  </div>
  <p id="message" role="status"></p>
  <p class="pins">主管密码 Supervisor PIN <b id="supervisor"></b> · 技术员密码 Technician PIN <b id="technician"></b></p>
  <p><a id="kiosk" href="/">← 收银台 · Kiosk</a></p>
</main>
</body>
</html>
`;

const SCRIPT = `// The demo wallet page: a fresh payment code every few seconds, presented on request.
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? sessionStorage.getItem('suanpan-token');
if (token) sessionStorage.setItem('suanpan-token', token);
document.getElementById('kiosk').href = '/#token=' + encodeURIComponent(token ?? '');
const $ = (id) => document.getElementById(id);
const api = (path, method = 'GET', body) =>
  fetch(path, {
    method,
    headers: { authorization: 'Bearer ' + token, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => {
    const json = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(json.error?.message ?? json.message ?? r.statusText);
    return json;
  });
const money = (m) => '¥' + (m.minor / 100).toFixed(2);
let current = null;
let coreRunning = true;
// The merchant's QR order the kiosk shows now, if any: the "customer" pays it by scanning.
let order = null;
function showOrder(next) {
  order = next ?? null;
  $('order').hidden = !order;
  if (order) $('order-amount').textContent = money(order.amount);
}
async function refreshOrder() {
  try {
    showOrder((await api('/demo/api/order')).order);
  } catch {
    // The next poll tries again.
  }
}
async function refresh() {
  try {
    const w = await api('/demo/api/wallet');
    showOrder(w.order);
    $('supervisor').textContent = w.pins.supervisor;
    $('technician').textContent = w.pins.technician;
    coreRunning = w.core === 'running';
    $('core').textContent = coreRunning ? '停止核心（离线）· Stop the core (go offline)' : '启动核心（联网）· Start the core (back online)';
    if (!coreRunning) {
      $('message').textContent = '核心已停止：收银台将按离线规则收款。The core is stopped: the till takes payments offline.';
      if (!current) $('digits').textContent = '核心停止时不能取新码 · No new code while the core is stopped';
      return;
    }
    current = w.code;
    const doc = new DOMParser().parseFromString(w.qrSvg, 'image/svg+xml');
    $('qr').replaceChildren(document.importNode(doc.documentElement, true));
    $('digits').textContent = w.code.replace(/(\\d{4})(?=\\d)/g, '$1 ');
    $('expires').textContent = '有效至 Valid until ' + new Date(w.expiresAt).toLocaleTimeString();
    $('balance').textContent = money(w.balance);
  } catch (err) {
    $('message').textContent = String(err.message ?? err);
  }
}
$('present').addEventListener('click', async () => {
  if (!current) return;
  const code = current;
  current = null; // a payment code is single use: the next refresh brings a fresh one
  try {
    await api('/demo/api/present', 'POST', { code });
    $('message').textContent = '已出示，请看收银台 · Presented: look at the till.';
  } catch (err) {
    $('message').textContent = String(err.message ?? err);
  }
  setTimeout(refresh, 1500);
});
$('pay-order').addEventListener('click', async () => {
  if (!order) return;
  const { paymentId } = order;
  $('pay-order').disabled = true;
  try {
    await api('/demo/api/pay-order', 'POST', { paymentId });
    showOrder(null);
    $('message').textContent = '已付款，请看收银台 · Paid: look at the till.';
  } catch (err) {
    $('message').textContent = String(err.message ?? err);
  } finally {
    $('pay-order').disabled = false;
  }
  await refresh();
});
$('core').addEventListener('click', async () => {
  $('message').textContent = coreRunning ? '正在停止核心… Stopping the core…' : '正在启动核心… Starting the core…';
  try {
    await api('/demo/api/core/' + (coreRunning ? 'stop' : 'start'), 'POST');
  } catch (err) {
    $('message').textContent = String(err.message ?? err);
  }
  await refresh();
  if (coreRunning) $('message').textContent = '核心运行中 · The core is running.';
});
refresh();
setInterval(() => {
  if (coreRunning) refresh();
}, 20000);
setInterval(refreshOrder, 1000);
`;

const STYLE = `
:root { font-family: system-ui, "Noto Sans CJK SC", sans-serif; color: #1b1b1b; background: #f4f1ea; }
main { max-width: 34rem; margin: 0 auto; padding: 1rem; }
h1 span { font-size: 0.6em; color: #666; }
.hint, .pins { color: #444; }
#wallet { background: #fff; border-radius: 1rem; padding: 1rem; text-align: center; box-shadow: 0 2px 8px #0002; }
#qr svg { width: min(70vw, 18rem); height: auto; }
#digits { font-size: 1.6rem; letter-spacing: 0.08em; font-variant-numeric: tabular-nums; }
.buttons { display: grid; gap: 0.75rem; margin: 1rem 0; }
button { min-height: 48px; font-size: 1.1rem; border-radius: 0.6rem; border: 0; padding: 0.6rem 1rem; background: #1f6f43; color: #fff; }
button#core { background: #7a4b00; }
button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
#message { min-height: 1.5em; font-weight: 600; }
#order { background: #fff; border: 3px solid #1f6f43; border-radius: 1rem; padding: 1rem; margin: 1rem 0; text-align: center; }
#order[hidden] { display: none; }
#order h2 { margin: 0; font-size: 1.2rem; }
#order-amount { font-size: 2rem; font-weight: 700; margin: 0.5rem 0; }
#pay-order { width: 100%; }
`;
