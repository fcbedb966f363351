/**
 * Proxy overhead benchmark: direct-to-upstream vs through Sluice vs through the Portkey gateway,
 * interleaved in one run against one fast fake OpenAI-format upstream (uWebSockets.js, JSON + SSE).
 *
 *   node --import tsx bench/proxy.ts [--rounds 3] [--seconds 3] [--no-portkey] [--no-wrk]
 *   node --import tsx bench/proxy.ts --cpu [--requests 10000] [--connections 8] [--rounds 3]
 *                                          [--only sluice,portkey] [--mode json|stream] [--prof DIR]
 *
 * Sluice runs from the production build (`npm run build`, done first) as its own process
 * (`sluice data-plane --snapshot …`) with auth, guardrails, limits (rpm/tpm + budgets on key,
 * team and org) and cost recording (SQLite ledger) all on; cache off so every request reaches the
 * upstream. Goals on a 2-core machine: ≥15× Portkey's RPS, ≤0.1 ms added p50, ≤0.5 ms added TTFB.
 * The parts live in bench/proxy/: targets.ts says what runs, load.ts how load is generated
 * (wrk when installed), interleaved.ts and cpu.ts the two modes. Results: bench/results/proxy.md.
 */
import { runCpu } from './proxy/cpu.js';
import { runFakeUpstream } from './proxy/fake-upstream.js';
import { runInterleaved } from './proxy/interleaved.js';
import { runBare, runCoreSluice } from './proxy/reference-proxies.js';

const argv = process.argv;
const after = (flag: string) => Number(argv[argv.indexOf(flag) + 1]);
const fail = (err: unknown) => {
  console.error(err);
  process.exit(1);
};

if (argv.includes('--fake-upstream')) runFakeUpstream().catch(fail);
else if (argv.includes('--core-sluice')) runCoreSluice(after('--core-sluice')).catch(fail);
else if (argv.includes('--bare-socket')) runBare(after('--bare-socket'), 'socket').catch(fail);
else if (argv.includes('--bare')) {
  const port = after('--bare');
  runBare(Number.isInteger(port) && port > 0 ? port : null, 'undici').catch(fail);
} else if (argv.includes('--cpu')) runCpu().catch(fail);
else runInterleaved().catch(fail);
