#!/usr/bin/env node
// Compiles TrackPacks and Chainlink's VRFCoordinatorV2_5Mock with solc-js and writes the
// artifacts the Django app loads with web3.py: {"contractName", "abi", "bytecode"}.
//
//   node tools/export-artifacts.js [OUT_DIR]      (default: chain/artifacts)
//
// The compile is deterministic: fixed compiler (the pinned npm solc), fixed settings,
// source keys independent of the checkout location, and no metadata hash in the bytecode
// (metadata.bytecodeHash = "none"), so `make check-artifacts` can compare byte for byte.
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));

const TARGETS = [
  { source: 'contracts/TrackPacks.sol', name: 'TrackPacks' },
  {
    source: '@chainlink/contracts/src/v0.8/vrf/mocks/VRFCoordinatorV2_5Mock.sol',
    name: 'VRFCoordinatorV2_5Mock',
  },
];

function resolve(importPath) {
  // Package imports come from node_modules; project files from the repository root.
  const candidates = [path.join(root, importPath), path.join(root, 'node_modules', importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return fs.readFileSync(candidate, 'utf8');
  }
  return null;
}

const sources = {};
for (const t of TARGETS) sources[t.source] = { content: resolve(t.source) };

const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
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

const outDir = path.resolve(process.argv[2] || path.join(root, 'chain', 'artifacts'));
fs.mkdirSync(outDir, { recursive: true });
for (const t of TARGETS) {
  const c = output.contracts[t.source][t.name];
  const artifact = { contractName: t.name, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
  fs.writeFileSync(path.join(outDir, `${t.name}.json`), JSON.stringify(artifact, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(outDir, t.name + '.json'))} ` +
    `(${c.evm.bytecode.object.length / 2} bytes, solc ${solc.version()})\n`);
}
