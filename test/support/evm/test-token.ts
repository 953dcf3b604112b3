import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);
const SOURCE = fileURLToPath(new URL('./TestUSDC.sol', import.meta.url));

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

let compiled: CompiledContract | undefined;

/** Compiles TestUSDC.sol with solcjs (the npm `solc` package; no compiler download) for Hardhat's cancun EVM. */
export function compileTestUsdc(): CompiledContract {
  if (compiled) return compiled;
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestUSDC.sol': { content: readFileSync(SOURCE, 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { TestUSDC: ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0)
    throw new Error(`TestUSDC.sol did not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts['TestUSDC.sol']!.TestUSDC!;
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}
