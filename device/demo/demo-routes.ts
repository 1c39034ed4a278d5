/**
 * The demo's own page and routes, served by the host next to the kiosk: `/demo/wallet` shows the
 * demo wallet's live payment code (QR and digits) and balance, "presents" it to the simulated
 * scanner, and stops or starts the core so a newcomer sees the offline path. The page is plain
 * HTML with its script and styles in their own files (the host's CSP allows no inline code); the
 * QR is drawn on the host as SVG, so the page needs no bundle.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { DemoWorld } from './demo-world.ts';
import { DEMO_SUPERVISOR_PIN, DEMO_TECHNICIAN_PIN } from './demo-world.ts';

export function registerDemoRoutes(
  app: FastifyInstance,
  world: DemoWorld,
  options: { auth: preHandlerHookHandler },
): void {
  app.get('/demo/wallet', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/demo/wallet.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(SCRIPT),
  );
  app.get('/demo/wallet.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE));

  const guarded = { preHandler: options.auth };
  app.get('/demo/api/wallet', guarded, async () => {
    if (!world.coreRunning()) return { core: 'stopped', pins: pins() };
    const [code, balance] = await Promise.all([world.walletCode(), world.walletBalance()]);
    const qrSvg = await QRCode.toString(code.code, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { core: 'running', code: code.code, expiresAt: code.expiresAt, balance, qrSvg, pins: pins() };
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
let current = null;
let coreRunning = true;
async function refresh() {
  try {
    const w = await api('/demo/api/wallet');
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
    $('balance').textContent = '¥' + (w.balance.minor / 100).toFixed(2);
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
`;
