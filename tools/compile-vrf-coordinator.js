#!/usr/bin/env node
// Compiles Chainlink's production VRFCoordinatorV2_5 (@chainlink/contracts 1.2.0) with the
// pinned solc-js 0.8.28, only so `make gas` can measure openPack against the real
// requestRandomWords. Its sources pin `pragma solidity 0.8.19;`: the pragma is relaxed to
// `^0.8.19` in memory (the code itself is compiled unmodified); nothing is deployed anywhere.
//
//   node tools/compile-vrf-coordinator.js OUT.json
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));
const SOURCE = '@chainlink/contracts/src/v0.8/vrf/dev/VRFCoordinatorV2_5.sol';

function resolve(importPath) {
  const file = path.join(root, 'node_modules', importPath);
  if (!fs.existsSync(file)) return null;
  return fs.readFileSync(file, 'utf8').replace(/pragma solidity 0\.8\.19;/g, 'pragma solidity ^0.8.19;');
}

const input = {
  language: 'Solidity',
  sources: { [SOURCE]: { content: resolve(SOURCE) } },
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 500 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { VRFCoordinatorV2_5: ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(
  solc.compile(JSON.stringify(input), {
    import: (p) => {
      const contents = resolve(p);
      return contents === null ? { error: `File not found: ${p}` } : { contents };
    },
  }),
);
const errors = (output.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) process.stderr.write(e.formattedMessage + '\n');
  process.exit(1);
}
const c = output.contracts[SOURCE].VRFCoordinatorV2_5;
const out = path.resolve(process.argv[2] || path.join(root, 'build', 'vrf', 'VRFCoordinatorV2_5.json'));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ contractName: 'VRFCoordinatorV2_5', abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }) + '\n');
process.stdout.write(`wrote ${out} (${c.evm.bytecode.object.length / 2} bytes)\n`);
