import { activate } from '../../activation.ts';
import type { CliIO, CommandResult } from '../output.ts';

export async function activateCommand(
  options: { dataDir: string; core: string; code: string },
  io: CliIO,
): Promise<CommandResult> {
  const record = await activate({
    dataDir: options.dataDir,
    coreUrl: options.core,
    code: options.code,
    env: io.env,
  });
  return {
    json: { terminalId: record.terminalId, merchantId: record.merchantId },
    text: `Terminal ${record.terminalId} activated for ${record.merchantName || record.merchantId} at ${record.coreUrl}. Payments now go online.`,
  };
}
