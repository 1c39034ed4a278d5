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
  'nav.shift': { 'zh-CN': '交班', en: 'Close shift' },
  'nav.technician': { 'zh-CN': '技术员', en: 'Technician' },
  'common.back': { 'zh-CN': '返回', en: 'Back' },
  'common.backHint': { 'zh-CN': 'Esc 返回', en: 'Esc goes back' },
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
  'limit.revoked': {
    'zh-CN': '支付平台已停用本终端：离线收款无法上送，已停止离线收款。请联系运营方',
    en: 'The payment core has revoked this terminal: offline payments could not be forwarded, so none are taken. Contact the operator',
  },
  'limit.forwarding': {
    'zh-CN': '支付平台不认可本终端的账本：离线收款无法上送，已停止离线收款。请保留数据并联系运营方',
    en: "The payment core does not recognise this terminal's journal: offline payments could not be forwarded, so none are taken. Keep the data and contact the operator",
  },
  'limit.clock': {
    'zh-CN': '终端时钟早于上次同步的时间：请校准时钟，或联网同步',
    en: "The terminal's clock reads earlier than its last sync: set the clock right, or connect to sync",
  },

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
  'wait.qrOr': { 'zh-CN': '顾客想扫码付款？', en: 'Customer wants to scan instead?' },
  'wait.qrShow': { 'zh-CN': '出示收款码', en: 'Show QR code' },
  'wait.qrAsking': { 'zh-CN': '正在生成收款码…', en: 'Getting the QR code…' },
  'wait.qrNoCore': {
    'zh-CN': '不能出示收款码：本终端未连接支付平台。',
    en: 'No QR code: this terminal has no payment core.',
  },
  'wait.qrUnreachable': {
    'zh-CN': '不能出示收款码：支付平台连不上，扫码付款需要联网。请扫顾客的付款码。',
    en: "No QR code: the payment core cannot be reached, and a QR payment needs it. Scan the customer's code instead.",
  },
  'wait.qrNoLink': {
    'zh-CN': '不能出示收款码：与终端的连接中断。',
    en: 'No QR code: the connection to the terminal is lost.',
  },

  // The merchant's QR shown for the customer's wallet to scan.
  'qr.title': { 'zh-CN': '请顾客用钱包扫码付款', en: 'Ask the customer to scan this with their wallet app' },
  'qr.codeLabel': withParams<{ amount: string }>({
    'zh-CN': ({ amount }) => `收款码：${amount}`,
    en: ({ amount }) => `QR code to pay ${amount}`,
  }),
  'qr.waiting': { 'zh-CN': '正在等待顾客付款…', en: 'Waiting for the payment…' },
  'qr.timeLeft': withParams<{ time: string }>({
    'zh-CN': ({ time }) => `剩余时间 ${time}`,
    en: ({ time }) => `Time left ${time}`,
  }),
  'qr.expired': {
    'zh-CN': '收款码已过期，终端正在取消这笔订单。',
    en: 'The QR code has expired; the terminal is cancelling the order.',
  },
  'qr.cancel': { 'zh-CN': '取消收款码', en: 'Cancel QR payment' },
  'qr.keyboardHint': { 'zh-CN': 'Esc 取消', en: 'Esc cancels' },
  'qr.making.title': { 'zh-CN': '正在生成收款码，请稍候', en: 'Getting the QR code, please wait' },
  'qr.making.explain': {
    'zh-CN': '终端正在向支付平台创建这笔收款订单。',
    en: 'The terminal is creating the order at the payment core.',
  },
  'qr.cancelling.title': { 'zh-CN': '正在取消收款码订单…', en: 'Cancelling the QR order…' },
  'qr.cancelling.explain': {
    'zh-CN': '终端正在支付平台取消这笔订单。如果顾客刚好已经付款，会显示收款成功。',
    en: 'The terminal is cancelling the order at the payment core. If the customer has just paid, the payment shows as approved.',
  },

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
  'result.approvedNotRecorded.title': {
    'zh-CN': '收款成功，但本机未能保存',
    en: 'Payment approved, but this terminal could not save it',
  },
  'result.inDoubtNotRecorded.title': {
    'zh-CN': '顾客可能已付款，但本机未能保存',
    en: 'The customer may have paid, but this terminal could not save it',
  },
  'result.approvedNotRecorded.detail': {
    'zh-CN':
      '支付平台已确认这笔付款，顾客已付款，但本机无法保存（磁盘已满或记录被占用）。请联系技术人员；本机恢复后，下次同步会补记这笔付款。请记下金额和时间。',
    en: 'The payment core approved this payment: the customer has paid. This terminal could not save that (its disk is full or its journal is busy). Call a technician; once it can save again, the next sync records the payment. Note the amount and the time.',
  },
  'result.inDoubtNotRecorded.detail': {
    'zh-CN':
      '支付平台没有及时回复，顾客可能已被扣款，而本机无法保存（磁盘已满或记录被占用）。请联系技术人员；本机恢复后，下次同步会向支付平台核实这笔付款。请记下金额和时间。',
    en: 'The payment core did not answer in time, so the customer may have been charged, and this terminal could not save that (its disk is full or its journal is busy). Call a technician; once it can save again, the next sync asks the core about the payment. Note the amount and the time.',
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
  'result.receipt': { 'zh-CN': '查看小票', en: 'Show receipt' },
  'result.byQr': { 'zh-CN': '顾客扫收款码付款', en: "Paid by scanning the terminal's QR code" },

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
  'reason.qrCancelled': {
    'zh-CN': '收款码已在收银台取消，顾客没有付款。',
    en: 'The QR code was cancelled at the till before the customer paid.',
  },
  'reason.qrExpired': {
    'zh-CN': '顾客没有在收款码有效期内付款，订单已取消。',
    en: 'The customer did not pay before the QR code expired; the order was cancelled.',
  },
  'reason.qrUnreachable': {
    'zh-CN': '支付平台连不上，扫码付款需要联网。请改扫顾客的付款码。',
    en: "The payment core cannot be reached, and a QR payment needs it. Scan the customer's payment code instead.",
  },
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
  'payments.col.actions': { 'zh-CN': '操作', en: 'Actions' },
  'payments.open': { 'zh-CN': '查看', en: 'Open' },
  'payments.openLabel': withParams<{ amount: string; time: string }>({
    'zh-CN': ({ amount, time }) => `查看 ${time} 的收款 ${amount}`,
    en: ({ amount, time }) => `Open the payment of ${amount} at ${time}`,
  }),

  // Payment schemes (wallets), as on the printed receipt.
  'scheme.alipay': { 'zh-CN': '支付宝', en: 'Alipay' },
  'scheme.wechat': { 'zh-CN': '微信支付', en: 'WeChat Pay' },
  'scheme.unionpay': { 'zh-CN': '银联', en: 'UnionPay' },
  'scheme.demo': { 'zh-CN': '演示钱包', en: 'Demo wallet' },
  'scheme.merchant_qr': { 'zh-CN': '扫收款码', en: 'QR code at the till' },

  // A payment's receipt: the picture, reprint, and the supervisor's actions.
  'receipt.title': { 'zh-CN': '收款小票', en: 'Receipt' },
  'receipt.loading': { 'zh-CN': '正在生成小票图片…', en: 'Drawing the receipt…' },
  'receipt.failed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `无法显示小票：${message}`,
    en: ({ message }) => `Could not show the receipt: ${message}`,
  }),
  'receipt.alt': withParams<{ amount: string }>({
    'zh-CN': ({ amount }) => `${amount} 的收款小票`,
    en: ({ amount }) => `Receipt for ${amount}`,
  }),
  'receipt.scheme': { 'zh-CN': '支付方式', en: 'Scheme' },
  'receipt.seq': { 'zh-CN': '流水号', en: 'Number' },
  'receipt.reprint': { 'zh-CN': '重打小票', en: 'Reprint receipt' },
  'receipt.reprinting': { 'zh-CN': '正在打印小票…', en: 'Printing the receipt…' },
  'receipt.void': { 'zh-CN': '撤销收款', en: 'Void' },
  'receipt.refund': { 'zh-CN': '退款', en: 'Refund' },
  'receipt.supervisorHint': {
    'zh-CN': '撤销和退款需要主管密码。',
    en: 'Void and refund need the supervisor PIN.',
  },

  // What became of a print job.
  'print.printed': { 'zh-CN': '已打印。', en: 'Printed.' },
  'print.notPrinted': withParams<{ problem: string }>({
    'zh-CN': ({ problem }) => `未打印：${problem}`,
    en: ({ problem }) => `Not printed: ${problem}`,
  }),
  'print.queued': {
    'zh-CN': '已留在打印队列中，打印机恢复后会自动打印。',
    en: 'Kept in the print queue: it prints when the printer is back.',
  },
  'print.failed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `打印请求失败：${message}`,
    en: ({ message }) => `The print request failed: ${message}`,
  }),

  // The PIN pad (supervisor and technician).
  'pin.label': { 'zh-CN': '密码', en: 'PIN' },
  'pin.entered': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `已输入 ${count} 位`,
    en: ({ count }) => `${count} ${plural(count, 'digit', 'digits')} entered`,
  }),
  'pin.ok': { 'zh-CN': '确定', en: 'OK' },
  'pin.cancel': { 'zh-CN': '取消', en: 'Cancel' },
  'pin.keyHint': {
    'zh-CN': '键盘：数字、退格、回车确认、Esc 取消',
    en: 'Keyboard: digits, Backspace, Enter to confirm, Esc to cancel',
  },
  'pin.checking': { 'zh-CN': '正在核对密码…', en: 'Checking the PIN…' },
  'pin.wrong': withParams<{ left: number }>({
    'zh-CN': ({ left }) => `密码错误，还可以再试 ${left} 次。`,
    en: ({ left }) => `Wrong PIN: ${left} ${plural(left, 'try', 'tries')} left.`,
  }),
  'pin.wrongNoCount': { 'zh-CN': '密码错误。', en: 'Wrong PIN.' },
  'pin.wrongNone': {
    'zh-CN': '密码错误，已没有重试机会：密码将被锁定。',
    en: 'Wrong PIN, and no tries left: the PIN is locked now.',
  },
  'pin.locked': withParams<{ seconds: number }>({
    'zh-CN': ({ seconds }) => `错误次数过多，密码已锁定。请 ${seconds} 秒后再试。`,
    en: ({ seconds }) => `Too many wrong PINs: the PIN is locked. Try again in ${seconds} s.`,
  }),
  'pin.refused': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `未能完成：${message}`,
    en: ({ message }) => `Not done: ${message}`,
  }),

  // Void and refund behind the supervisor PIN.
  'supervisor.title.void': withParams<{ amount: string }>({
    'zh-CN': ({ amount }) => `撤销收款 ${amount}`,
    en: ({ amount }) => `Void ${amount}`,
  }),
  'supervisor.title.refund': withParams<{ amount: string }>({
    'zh-CN': ({ amount }) => `退款 ${amount}`,
    en: ({ amount }) => `Refund ${amount}`,
  }),
  'supervisor.explain': { 'zh-CN': '请主管输入密码确认。', en: 'A supervisor enters the PIN to confirm.' },
  'supervisor.notSet': {
    'zh-CN': '本终端没有设置主管密码，不能在收银界面撤销或退款。请技术人员在设置中设置 kiosk.supervisorPin。',
    en: 'This terminal has no supervisor PIN, so void and refund are disabled at the kiosk. A technician sets kiosk.supervisorPin in the settings.',
  },
  'supervisor.done': withParams<{ amount: string }>({
    'zh-CN': ({ amount }) => `已完成：这笔 ${amount} 的收款现在是`,
    en: ({ amount }) => `Done: the payment of ${amount} is now`,
  }),
  'supervisor.backToPayments': { 'zh-CN': '返回今日收款', en: "Back to today's payments" },

  // Shift close.
  'shift.title': { 'zh-CN': '交班', en: 'Close the shift' },
  'shift.explain': {
    'zh-CN': '交班会统计自上次交班以来的全部收款，并打印交班报表。之后的收款计入下一班。',
    en: 'Closing the shift counts every payment since the last close and prints the shift report. Later payments count in the next shift.',
  },
  'shift.confirm': { 'zh-CN': '交班并打印报表', en: 'Close the shift and print the report' },
  'shift.closing': { 'zh-CN': '正在交班并打印报表…', en: 'Closing the shift and printing the report…' },
  'shift.failed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `交班失败：${message}`,
    en: ({ message }) => `The shift was not closed: ${message}`,
  }),
  'shift.reportTitle': withParams<{ no: number }>({
    'zh-CN': ({ no }) => `第 ${no} 班交班报表`,
    en: ({ no }) => `Shift ${no} report`,
  }),
  'shift.period': withParams<{ from: string; to: string }>({
    'zh-CN': ({ from, to }) => `${from} 至 ${to}`,
    en: ({ from, to }) => `${from} to ${to}`,
  }),
  'shift.periodFirst': withParams<{ to: string }>({
    'zh-CN': ({ to }) => `首个班次，至 ${to}`,
    en: ({ to }) => `First shift, to ${to}`,
  }),
  'shift.payments': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `共 ${count} 笔收款`,
    en: ({ count }) => `${count} ${plural(count, 'payment', 'payments')}`,
  }),
  'shift.byStatus': { 'zh-CN': '按状态', en: 'By state' },
  'shift.byScheme': { 'zh-CN': '按支付方式收款', en: 'Taken, by scheme' },
  'shift.earlier': { 'zh-CN': '以前班次交易，本班变更', en: 'Earlier payments, changed this shift' },
  'shift.col.count': { 'zh-CN': '笔数', en: 'Count' },
  'shift.col.total': { 'zh-CN': '金额', en: 'Total' },
  'shift.taken': { 'zh-CN': '实收合计', en: 'Money taken' },
  'shift.takenExplain': {
    'zh-CN': '已收款、离线已收和已结算的收款之和。',
    en: 'Approved, accepted offline and settled payments added up.',
  },
  'shift.lost': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `其中 ${count} 笔在同步后被拒，没有收到款。`,
    en: ({ count }) =>
      `${count} ${plural(count, 'payment was', 'payments were')} declined after sync: that money was not received.`,
  }),
  'shift.noPayments': { 'zh-CN': '本班没有收款。', en: 'No payments in this shift.' },
  'shift.print': { 'zh-CN': '报表打印', en: 'Report printout' },
  'shift.done': { 'zh-CN': '完成', en: 'Done' },

  // The technician screens.
  'tech.pinTitle': { 'zh-CN': '技术员登录', en: 'Technician sign-in' },
  'tech.pinExplain': {
    'zh-CN': '请输入技术员密码。技术员页面用于激活终端、测试设备和同步。',
    en: 'Enter the technician PIN. The technician screens activate the terminal, test devices and sync.',
  },
  'tech.notSet': {
    'zh-CN':
      '本终端没有设置技术员密码，收银界面的技术员页面已停用。请在终端上使用 suanpan 命令，或在设置中设置 kiosk.technicianPin。',
    en: 'This terminal has no technician PIN, so the technician screens are disabled at the kiosk. Use the suanpan command on the terminal, or set kiosk.technicianPin in the settings.',
  },
  'tech.expired': {
    'zh-CN': '技术员会话已结束（一段时间未操作），请重新输入密码。',
    en: 'The technician session has ended (unused for a while). Enter the PIN again.',
  },
  'tech.title': { 'zh-CN': '技术员', en: 'Technician' },
  'tech.leave': { 'zh-CN': '退出技术员页面', en: 'Sign out' },
  'tech.refresh': { 'zh-CN': '刷新', en: 'Refresh' },
  'tech.loading': { 'zh-CN': '正在读取终端状态…', en: "Reading the terminal's state…" },
  'tech.loadFailed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `读取终端状态失败：${message}`,
    en: ({ message }) => `Could not read the terminal's state: ${message}`,
  }),
  'tech.tabs': { 'zh-CN': '技术员页面', en: 'Technician screens' },
  'tech.tab.activation': { 'zh-CN': '激活', en: 'Activation' },
  'tech.tab.devices': { 'zh-CN': '设备', en: 'Devices' },
  'tech.tab.sync': { 'zh-CN': '同步', en: 'Sync' },
  'tech.tab.policy': { 'zh-CN': '离线策略', en: 'Offline policy' },
  'tech.tab.logs': { 'zh-CN': '日志', en: 'Logs' },
  'tech.tab.about': { 'zh-CN': '版本', en: 'Version' },

  'activation.title': { 'zh-CN': '激活终端', en: 'Activate the terminal' },
  'activation.explain': {
    'zh-CN': '输入支付平台地址和激活码，或扫描激活卡自动填写。',
    en: "Enter the payment core's address and the activation code, or scan an activation card to fill them in.",
  },
  'activation.active': withParams<{ merchant: string; core: string }>({
    'zh-CN': ({ merchant, core }) => `已激活：${merchant}（支付平台 ${core}）`,
    en: ({ merchant, core }) => `Activated: ${merchant} (payment core ${core})`,
  }),
  'activation.inactive': {
    'zh-CN': '尚未激活：所有收款都走离线流程。',
    en: 'Not activated: every payment takes the offline path.',
  },
  'activation.core': { 'zh-CN': '支付平台地址', en: 'Payment core address' },
  'activation.code': { 'zh-CN': '激活码', en: 'Activation code' },
  'activation.submit': { 'zh-CN': '激活', en: 'Activate' },
  'activation.working': { 'zh-CN': '正在向支付平台激活…', en: 'Activating at the payment core…' },
  'activation.done': withParams<{ merchant: string }>({
    'zh-CN': ({ merchant }) => `激活成功，商户：${merchant}`,
    en: ({ merchant }) => `Activated for ${merchant}`,
  }),
  'activation.failed': withParams<{ message: string }>({
    'zh-CN': ({ message }) => `激活失败：${message}`,
    en: ({ message }) => `Activation failed: ${message}`,
  }),
  'activation.scanned': {
    'zh-CN': '已从激活卡填入，请核对后按“激活”。',
    en: 'Filled in from the activation card: check it, then press Activate.',
  },
  'activation.masked': {
    'zh-CN': '扫到了激活卡，但激活码被遮盖了：请重新登录技术员页面后再扫。',
    en: 'An activation card was scanned, but its code came masked: sign in again and scan it again.',
  },

  'devices.printer': { 'zh-CN': '小票打印机', en: 'Receipt printer' },
  'devices.printer.none': { 'zh-CN': '未配置打印机', en: 'No printer set up' },
  'devices.printer.ready': { 'zh-CN': '就绪', en: 'Ready' },
  'devices.printer.problem': withParams<{ problem: string }>({
    'zh-CN': ({ problem }) => `故障：${problem}`,
    en: ({ problem }) => `Problem: ${problem}`,
  }),
  'devices.printer.waiting': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `打印队列中有 ${count} 张`,
    en: ({ count }) => `${count} waiting in the print queue`,
  }),
  'devices.printTest': { 'zh-CN': '打印测试页', en: 'Print test page' },
  'devices.openDrawer': { 'zh-CN': '打开钱箱', en: 'Open drawer' },
  'devices.sending': { 'zh-CN': '正在发送到打印机…', en: 'Sending to the printer…' },
  'devices.drawerOpened': { 'zh-CN': '已发出开钱箱信号。', en: 'The drawer was told to open.' },
  'devices.scanners': { 'zh-CN': '扫码枪', en: 'Scanners' },
  'devices.scanners.none': {
    'zh-CN': '未配置扫码枪（键盘式扫码枪仍可直接输入到收银界面）。',
    en: 'No scanner set up (a keyboard-wedge scanner still types into the kiosk).',
  },
  'devices.scans': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `已扫 ${count} 次`,
    en: ({ count }) => `${count} ${plural(count, 'scan', 'scans')}`,
  }),
  'devices.package': withParams<{ name: string }>({
    'zh-CN': ({ name }) => `需要安装软件包 ${name}`,
    en: ({ name }) => `Install the package ${name}`,
  }),
  'devices.scanTest': { 'zh-CN': '扫码测试', en: 'Scan test' },
  'devices.scanTestStop': { 'zh-CN': '结束扫码测试', en: 'End the scan test' },
  'devices.scanTestWaiting': {
    'zh-CN': '正在等待扫码：请用扫码枪扫任意条码，结果显示在下面。',
    en: 'Waiting for a scan: scan any code, and it shows below.',
  },
  'scanner.connecting': { 'zh-CN': '连接中', en: 'Connecting' },
  'scanner.ready': { 'zh-CN': '就绪', en: 'Ready' },
  'scanner.reconnecting': { 'zh-CN': '重新连接中', en: 'Reconnecting' },
  'scanner.unavailable': { 'zh-CN': '不可用', en: 'Unavailable' },
  'scanner.stopped': { 'zh-CN': '已停止', en: 'Stopped' },
  'scanKind.payment_code': { 'zh-CN': '付款码', en: 'Payment code' },
  'scanKind.wifi': { 'zh-CN': 'Wi-Fi 配置码', en: 'Wi-Fi code' },
  'scanKind.activation': { 'zh-CN': '激活卡', en: 'Activation card' },
  'scanKind.product': { 'zh-CN': '商品条码', en: 'Product barcode' },
  'scanKind.unknown': { 'zh-CN': '无法识别', en: 'Not recognised' },

  'syncPanel.title': { 'zh-CN': '与支付平台同步', en: 'Sync with the payment core' },
  'syncPanel.state': { 'zh-CN': '状态', en: 'State' },
  'syncPanel.reachable': { 'zh-CN': '支付平台', en: 'Payment core' },
  'syncPanel.pending': { 'zh-CN': '待上传', en: 'To send' },
  'syncPanel.lastSync': { 'zh-CN': '上次同步', en: 'Last sync' },
  'syncPanel.lastError': { 'zh-CN': '上次错误', en: 'Last error' },
  'syncPanel.parked': { 'zh-CN': '搁置的记录', en: 'Parked entries' },
  'syncPanel.never': { 'zh-CN': '从未同步', en: 'Never' },
  'syncPanel.none': { 'zh-CN': '无', en: 'None' },
  'syncPanel.count': withParams<{ count: number }>({
    'zh-CN': ({ count }) => `${count} 笔`,
    en: ({ count }) => `${count} ${plural(count, 'entry', 'entries')}`,
  }),
  'syncPanel.parkedLine': withParams<{ seq: number; reason: string }>({
    'zh-CN': ({ seq, reason }) => `第 ${seq} 笔：${reason}`,
    en: ({ seq, reason }) => `No. ${seq}: ${reason}`,
  }),
  'syncPanel.now': { 'zh-CN': '立即同步', en: 'Sync now' },
  'syncPanel.starting': { 'zh-CN': '正在开始同步…', en: 'Starting the sync…' },
  'syncPanel.done': withParams<{ sent: number }>({
    'zh-CN': ({ sent }) => `同步完成：上传了 ${sent} 笔。`,
    en: ({ sent }) => `Sync done: ${sent} sent.`,
  }),
  'syncPanel.failed': withParams<{ error: string }>({
    'zh-CN': ({ error }) => `同步失败：${error}`,
    en: ({ error }) => `Sync failed: ${error}`,
  }),
  'syncPanel.notActivated': {
    'zh-CN': '终端尚未激活，没有可同步的支付平台。',
    en: 'The terminal is not activated: there is no payment core to sync with.',
  },
  'syncState.idle': { 'zh-CN': '空闲', en: 'Idle' },
  'syncState.syncing': { 'zh-CN': '正在同步', en: 'Syncing' },
  'syncState.waiting': { 'zh-CN': '等待重试', en: 'Waiting to retry' },
  'syncState.stopped': { 'zh-CN': '已停止', en: 'Stopped' },
  'syncState.not_activated': { 'zh-CN': '未激活，不同步', en: 'Not activated: no sync' },
  'reachable.yes': { 'zh-CN': '连得上', en: 'Reachable' },
  'reachable.no': { 'zh-CN': '连不上', en: 'Not reachable' },
  'reachable.unknown': { 'zh-CN': '尚未尝试', en: 'Not tried yet' },

  'policy.title': { 'zh-CN': '当前生效的离线策略', en: 'The offline policy in force' },
  'policy.col.limit': { 'zh-CN': '限额', en: 'Limit' },
  'policy.col.value': { 'zh-CN': '值', en: 'Value' },
  'policy.col.source': { 'zh-CN': '来源', en: 'Set by' },
  'policy.perPayment': { 'zh-CN': '离线单笔最多', en: 'Largest offline payment' },
  'policy.totalStored': { 'zh-CN': '离线存储总额', en: 'Total stored offline' },
  'policy.maxStoredCount': { 'zh-CN': '离线最多存储笔数', en: 'Most payments stored offline' },
  'policy.maxHoursSinceSync': { 'zh-CN': '最长不同步时间', en: 'Longest time without a sync' },
  'source.default': { 'zh-CN': '默认值', en: 'Default' },
  'source.file': withParams<{ file: string }>({
    'zh-CN': ({ file }) => `设置文件 ${file}`,
    en: ({ file }) => `Settings file ${file}`,
  }),
  'source.env': withParams<{ variable: string }>({
    'zh-CN': ({ variable }) => `环境变量 ${variable}`,
    en: ({ variable }) => `Environment variable ${variable}`,
  }),
  'source.unknown': { 'zh-CN': '未说明', en: 'Not stated' },

  'logs.title': { 'zh-CN': '最近日志', en: 'Recent logs' },
  'logs.empty': { 'zh-CN': '没有日志。', en: 'No log lines.' },
  'logs.col.time': { 'zh-CN': '时间', en: 'Time' },
  'logs.col.level': { 'zh-CN': '级别', en: 'Level' },
  'logs.col.message': { 'zh-CN': '内容', en: 'Message' },
  'level.trace': { 'zh-CN': '跟踪', en: 'Trace' },
  'level.debug': { 'zh-CN': '调试', en: 'Debug' },
  'level.info': { 'zh-CN': '信息', en: 'Info' },
  'level.warn': { 'zh-CN': '警告', en: 'Warning' },
  'level.error': { 'zh-CN': '错误', en: 'Error' },
  'level.fatal': { 'zh-CN': '严重错误', en: 'Fatal' },

  'about.version': { 'zh-CN': '软件版本', en: 'Software version' },
  'about.terminal': { 'zh-CN': '终端编号', en: 'Terminal ID' },
  'about.merchant': { 'zh-CN': '商户', en: 'Merchant' },
  'about.core': { 'zh-CN': '支付平台', en: 'Payment core' },
  'about.notSet': { 'zh-CN': '未设置', en: 'Not set' },

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
