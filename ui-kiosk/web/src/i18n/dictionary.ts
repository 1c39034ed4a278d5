/**
 * Every string the kiosk shows, in Simplified Chinese (the default) and English. Each entry holds
 * both languages, so a key without one of them does not compile; an entry with parameters is built
 * by {@link withParams}, which gives both languages the same parameter type.
 *
 * Words follow the domain (DESIGN.md): payment (收款/付款), payment code (付款码), terminal (终端),
 * payment core (支付平台), offline (离线), sync (同步).
 */

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-CN';

type Plain = { readonly [L in Language]: string };
type WithParams<P> = { readonly [L in Language]: (params: P) => string };

/** An entry whose text depends on parameters, the same for both languages. */
function withParams<P>(entry: WithParams<P>): WithParams<P> {
  return entry;
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

export const MESSAGES = {
  // The frame: header, navigation, language.
  'app.name': { 'zh-CN': '算盘收款', en: 'Suanpan' },
  'nav.label': { 'zh-CN': '主菜单', en: 'Main menu' },
  'nav.checkout': { 'zh-CN': '收银', en: 'Checkout' },
  'nav.payments': { 'zh-CN': '今日收款', en: "Today's payments" },
  'language.switch': { 'zh-CN': '切换语言：中文 / English', en: 'Switch language: 中文 / English' },
  'status.online': { 'zh-CN': '在线', en: 'Online' },
  'status.offline': { 'zh-CN': '离线', en: 'Offline' },
  'status.checking': { 'zh-CN': '检查中', en: 'Checking' },

  // The link to the terminal host.
  'host.connecting': { 'zh-CN': '正在连接终端…', en: 'Connecting to the terminal…' },
  'host.lost.title': {
    'zh-CN': '与终端的连接中断，正在重新连接…',
    en: 'Connection to the terminal lost, reconnecting…',
  },
  'host.lost.detail': {
    'zh-CN': '连接恢复前无法收款。请不要关闭此页面。',
    en: 'Payments wait until the connection is back. Do not close this page.',
  },
  'host.noToken.title': {
    'zh-CN': '此页面没有终端的访问令牌',
    en: 'This page has no access token for the terminal',
  },
  'host.noToken.detail': {
    'zh-CN': '请打开 suanpan start 打印的链接（以 #token= 结尾），或使用自助机程序。',
    en: 'Open the link printed by suanpan start (it ends with #token=…), or use the kiosk app.',
  },
  'host.badToken.title': { 'zh-CN': '终端拒绝了访问令牌', en: 'The terminal refused the access token' },
  'host.badToken.detail': {
    'zh-CN': '终端可能已重新启动。请打开 suanpan start 新打印的链接。',
    en: 'The terminal may have restarted. Open the new link printed by suanpan start.',
  },
  'host.unreachable': {
    'zh-CN': '连不上终端程序，请稍后再试。',
    en: 'The terminal program does not answer; try again in a moment.',
  },

  // The offline banner.
  'offline.title.offline_only': {
    'zh-CN': '离线收款：未连接支付平台',
    en: 'Offline: no payment core connected',
  },
  'offline.title.unreachable': {
    'zh-CN': '离线收款：连不上支付平台',
    en: 'Offline: the payment core cannot be reached',
  },
  'offline.title.checking': {
    'zh-CN': '正在检查与支付平台的连接',
    en: 'Checking the connection to the payment core',
  },
  'offline.explain': {
    'zh-CN': '收款先保存在本机，联网后自动上传。',
    en: 'Payments are stored on this terminal and forwarded when it is back online.',
  },
  'offline.stored.label': { 'zh-CN': '已存待上传', en: 'Stored, to forward' },
  'offline.stored.value': withParams<{ count: number; amount: string }>({
    'zh-CN': ({ count, amount }) => `${count} 笔 · ${amount}`,
    en: ({ count, amount }) => `${count} ${plural(count, 'payment', 'payments')} · ${amount}`,
  }),
  'offline.nextMax.label': { 'zh-CN': '单笔最多', en: 'Next payment up to' },
  'offline.amountLeft.label': { 'zh-CN': '还可存金额', en: 'Amount left' },
  'offline.countLeft.label': { 'zh-CN': '还可存笔数', en: 'Payments left' },
  'offline.countLeft.value': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `${count} 笔`,
    en: ({ count }) => `${count}`,
  }),
  'offline.syncDue.label': { 'zh-CN': '距离必须同步还有', en: 'Time left to sync' },
  'offline.syncDue.hours': withParams<{ hours: number }>({
    'zh-CN': ({ hours }) => `${hours} 小时`,
    en: ({ hours }) => `${hours} h`,
  }),
  'offline.syncDue.by': withParams<{ time: string }>({
    'zh-CN': ({ time }) => `${time} 前`,
    en: ({ time }) => `by ${time}`,
  }),
  'offline.paused': {
    'zh-CN': '离线收款已暂停：请联网同步后再收款。',
    en: 'Offline payments are paused: connect and sync before taking more.',
  },
  'sync.progress': withParams<{ sent: number; total: number }>({
    'zh-CN': ({ sent, total }) => `正在同步：${sent} / ${total}`,
    en: ({ sent, total }) => `Syncing: ${sent} of ${total}`,
  }),

  // The amount keypad.
  'keypad.title': { 'zh-CN': '输入收款金额', en: 'Enter the amount' },
  'keypad.charge': { 'zh-CN': '收款', en: 'Charge' },
  'keypad.clear': { 'zh-CN': '清除', en: 'Clear' },
  'keypad.backspace': { 'zh-CN': '退格', en: 'Backspace' },
  'keypad.point': { 'zh-CN': '小数点', en: 'Decimal point' },
  'keypad.keyboardHint': {
    'zh-CN': '键盘：数字、退格、回车收款、Esc 清除',
    en: 'Keyboard: digits, Backspace, Enter to charge, Esc to clear',
  },
  'keypad.amountLabel': { 'zh-CN': '收款金额', en: 'Amount' },
  'keypad.blocked': {
    'zh-CN': '离线时不能收这笔款。请减少金额，或联网同步后再收。',
    en: 'This payment cannot be taken offline. Lower the amount, or connect and sync first.',
  },
  'keypad.mayBeRefused': {
    'zh-CN': '支付平台暂时连不上：若仍离线，这笔款会被离线限额拒绝。',
    en: 'The payment core cannot be reached: if it stays offline, the offline limits will refuse this payment.',
  },
  'limit.perPayment': withParams<{ max: string; over: string }>({
    'zh-CN': ({ max, over }) => `超过离线单笔限额 ${max}，多了 ${over}`,
    en: ({ max, over }) => `Over the offline limit of ${max} per payment, by ${over}`,
  }),
  'limit.totalStored': withParams<{ left: string; over: string }>({
    'zh-CN': ({ left, over }) => `超过离线存储总额：还可存 ${left}，多了 ${over}`,
    en: ({ left, over }) => `Over the limit on the total stored offline: ${left} left, ${over} over`,
  }),
  'limit.storedCount': withParams<{ max: number }>({
    'zh-CN': ({ max }) => `离线收款已存满 ${max} 笔`,
    en: ({ max }) => `The offline store is full (${max} payments)`,
  }),
  'limit.sinceSync': withParams<{ hours: number }>({
    'zh-CN': ({ hours }) => `已超过 ${hours} 小时未同步`,
    en: ({ hours }) => `Not synced for more than ${hours} h`,
  }),

  // Waiting for the customer's payment code.
  'wait.title': { 'zh-CN': '请扫描顾客的付款码', en: "Scan the customer's payment code" },
  'wait.explain': {
    'zh-CN': '请顾客打开支付宝、微信或云闪付的付款码，对准扫码枪。终端正在等待扫码。',
    en: 'Ask the customer to open the payment code in Alipay, WeChat Pay or UnionPay and hold it to the scanner. The terminal is waiting for the scan.',
  },
  'wait.amountLabel': { 'zh-CN': '应收金额', en: 'Amount due' },
  'wait.manualLabel': {
    'zh-CN': '扫不出来？手动输入付款码下方的数字',
    en: 'Will not scan? Type the digits under the payment code',
  },
  'wait.manualSubmit': { 'zh-CN': '提交付款码', en: 'Submit code' },
  'wait.cancel': { 'zh-CN': '取消收款', en: 'Cancel payment' },
  'wait.keyboardHint': { 'zh-CN': '回车提交，Esc 取消', en: 'Enter submits, Esc cancels' },
  'wait.starting': { 'zh-CN': '正在开始收款…', en: 'Starting the payment…' },
  'wait.cancelling': { 'zh-CN': '正在取消…', en: 'Cancelling…' },

  // The payment being decided.
  'work.title': { 'zh-CN': '正在处理付款，请稍候', en: 'Processing the payment, please wait' },
  'work.explain': {
    'zh-CN': '终端正在确认并保存这笔付款。请勿让顾客再次付款。',
    en: 'The terminal is confirming and recording this payment. The customer must not pay again.',
  },

  // Results.
  'result.approved.title': { 'zh-CN': '收款成功', en: 'Payment approved' },
  'result.approved.detail': { 'zh-CN': '支付平台已确认这笔付款。', en: 'The payment core approved it.' },
  'result.accepted_offline.title': { 'zh-CN': '已离线收款', en: 'Accepted offline' },
  'result.accepted_offline.detail': {
    'zh-CN': '付款已保存在本机，联网后会自动上传到支付平台。',
    en: 'The payment is stored on this terminal and will be forwarded to the payment core when it is back online.',
  },
  'result.declined.title': { 'zh-CN': '付款被拒绝，未收到款', en: 'Declined: no money taken' },
  'result.declined.next': { 'zh-CN': '请顾客换一种方式付款。', en: 'Ask the customer to pay another way.' },
  'result.unknown.title': {
    'zh-CN': '正在与支付平台核实这笔付款',
    en: 'Checking this payment with the payment core',
  },
  'result.unknown.doNotPay': { 'zh-CN': '请勿让顾客再次付款', en: 'The customer must not pay again' },
  'result.unknown.detail': {
    'zh-CN':
      '支付平台没有及时回复，顾客可能已被扣款。终端正在查询；若扣了款却无法确认，会自动撤销。结果出来后会显示在这里。',
    en: 'The payment core did not answer in time, so the customer may already have been charged. The terminal is asking; if the money was taken but cannot be confirmed, the payment is cancelled. The result will appear here.',
  },
  'result.unknown.later': {
    'zh-CN': '若一直没有结果，终端会在下次同步时核实。请记下金额和时间。',
    en: 'If no result comes, the terminal settles it at the next sync. Note the amount and the time.',
  },
  'result.settled.title': { 'zh-CN': '收款成功（已结算）', en: 'Payment approved (settled)' },
  'result.failed.title': { 'zh-CN': '无法收款', en: 'Payment not taken' },
  'result.failed.next': {
    'zh-CN': '没有记录任何付款，顾客未被扣款。',
    en: 'No payment was recorded; the customer was not charged.',
  },
  'result.next': { 'zh-CN': '下一笔', en: 'Next payment' },
  'result.nextHint': { 'zh-CN': '回车开始下一笔', en: 'Enter starts the next payment' },
  'result.code': withParams<{ code: string }>({
    'zh-CN': ({ code }) => `付款码 ${code}`,
    en: ({ code }) => `Payment code ${code}`,
  }),
  'result.recorded': withParams<{ reason: string }>({
    'zh-CN': ({ reason }) => `终端记录（英文）：${reason}`,
    en: ({ reason }) => `Terminal record: ${reason}`,
  }),
  'result.receiptNotPrinted': withParams<{ problem: string }>({
    'zh-CN': ({ problem }) => `小票未打印：${problem}`,
    en: ({ problem }) => `Receipt not printed: ${problem}`,
  }),
  'result.cancelled': { 'zh-CN': '已取消收款。', en: 'The payment was cancelled.' },

  // Why a payment was declined or could not be taken, in a cashier's words.
  'reason.offlineLimit': {
    'zh-CN': '超出离线收款限额。',
    en: 'It is over an offline limit.',
  },
  'reason.unknownCode': {
    'zh-CN': '付款码无效。请顾客刷新付款码后再扫。',
    en: 'The payment code is not valid. Ask the customer to refresh it and scan again.',
  },
  'reason.codeReused': {
    'zh-CN': '这个付款码已经用过了。请顾客刷新付款码后再扫。',
    en: 'This payment code was already used. Ask the customer to refresh it and scan again.',
  },
  'reason.codeExpired': {
    'zh-CN': '付款码已过期。请顾客刷新付款码后再扫。',
    en: 'The payment code has expired. Ask the customer to refresh it and scan again.',
  },
  'reason.currency': {
    'zh-CN': '币种与顾客的钱包不符。',
    en: "The currency does not match the customer's wallet.",
  },
  'reason.balance': { 'zh-CN': '顾客余额不足。', en: "The customer's balance is too low." },
  'reason.coreRefused': {
    'zh-CN': '支付平台拒绝了本终端的请求。请联系技术人员。',
    en: "The payment core refused this terminal's request. Call a technician.",
  },
  'reason.other': { 'zh-CN': '支付平台拒绝了这笔付款。', en: 'The payment core declined it.' },
  'reason.invalidCode': {
    'zh-CN': '这不是可用的付款码。请扫描顾客钱包里的付款码（付款码下方是一串数字）。',
    en: "That is not a payment code we accept. Scan the payment code in the customer's wallet app.",
  },
  'reason.invalidAmount': {
    'zh-CN': '金额无效，请重新输入。',
    en: 'The amount is not valid; enter it again.',
  },
  'reason.journal': {
    'zh-CN': '终端无法安全保存付款记录，已暂停收款。请联系技术人员。',
    en: 'The terminal cannot store payments safely and has stopped taking them. Call a technician.',
  },
  'reason.fromHost': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `终端提示：${message}`,
    en: ({ message }) => message,
  }),

  // Today's payments.
  'payments.title': { 'zh-CN': '今日收款', en: "Today's payments" },
  'payments.empty': { 'zh-CN': '今天还没有收款。', en: 'No payments yet today.' },
  'payments.loading': { 'zh-CN': '正在读取收款记录…', en: 'Loading payments…' },
  'payments.refresh': { 'zh-CN': '刷新', en: 'Refresh' },
  'payments.failed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `读取收款记录失败：${message}`,
    en: ({ message }) => `Could not load the payments: ${message}`,
  }),
  'payments.count': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `共 ${count} 笔`,
    en: ({ count }) => `${count} ${plural(count, 'payment', 'payments')}`,
  }),
  'payments.declinedAfterSync': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `${count} 笔离线收款在同步后被支付平台拒绝：这些款没有收到，损失由商户承担。`,
    en: ({ count }) =>
      `${count} offline ${plural(count, 'payment was', 'payments were')} declined after sync: that money was not received, and the merchant bears the loss.`,
  }),
  'payments.col.time': { 'zh-CN': '时间', en: 'Time' },
  'payments.col.amount': { 'zh-CN': '金额', en: 'Amount' },
  'payments.col.status': { 'zh-CN': '状态', en: 'State' },
  'payments.col.code': { 'zh-CN': '付款码', en: 'Payment code' },

  // Payment states, as a cashier reads them.
  'payment.captured': { 'zh-CN': '处理中', en: 'Processing' },
  'payment.approved': { 'zh-CN': '已收款', en: 'Approved' },
  'payment.accepted_offline': { 'zh-CN': '离线已收，待上传', en: 'Accepted offline, to forward' },
  'payment.declined': { 'zh-CN': '已拒绝', en: 'Declined' },
  'payment.unknown': { 'zh-CN': '核实中，勿重复收款', en: 'Being checked: do not charge again' },
  'payment.settled': { 'zh-CN': '已结算', en: 'Settled' },
  'payment.declined_after_sync': { 'zh-CN': '同步后被拒，未收到款', en: 'Declined after sync: not received' },
  'payment.voided': { 'zh-CN': '已撤销', en: 'Voided' },
  'payment.refunded': { 'zh-CN': '已退款', en: 'Refunded' },
} satisfies Record<string, Plain | WithParams<never>>;

export type MessageKey = keyof typeof MESSAGES;
type ParamsOf<K extends MessageKey> = (typeof MESSAGES)[K] extends WithParams<infer P> ? [params: P] : [];

/** The text of `key` in `language`, with its parameters filled in. */
export function translate<K extends MessageKey>(language: Language, key: K, ...params: ParamsOf<K>): string {
  const text: string | WithParams<never>[Language] = MESSAGES[key][language];
  // ParamsOf<K> has made the caller pass this entry's own parameter type.
  return typeof text === 'function' ? (text as (params: unknown) => string)(params[0]) : text;
}

export type Translate = <K extends MessageKey>(key: K, ...params: ParamsOf<K>) => string;

export function translator(language: Language): Translate {
  return (key, ...params) => translate(language, key, ...params);
}

export function isLanguage(value: unknown): value is Language {
  return (LANGUAGES as readonly unknown[]).includes(value);
}
