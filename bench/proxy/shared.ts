/** What every part of the proxy bench shares: the bench key, request bodies, target shape, percentiles. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** The bench's entry file: child modes (fake upstream, reference proxies) are started through it. */
export const ENTRY = 'bench/proxy.ts';
export const KEY = 'sk-sluice-bench-0123456789abcdef';
export const BODY = JSON.stringify({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello to the benchmark, politely and briefly.' }],
  max_tokens: 16,
});
export const STREAM_BODY = JSON.stringify({
  ...JSON.parse(BODY),
  stream: true,
  stream_options: { include_usage: true },
});

export interface Target {
  name: string;
  origin: string;
  headers: Record<string, string>;
}

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export function portkeyHeaders(upstreamPort: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: 'Bearer sk-upstream',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${upstreamPort}/v1`,
  };
}
