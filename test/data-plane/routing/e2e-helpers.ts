/** Shared bits of the end-to-end routing/queue tests (real server, real fake providers). */
import { TEST_KEY } from '../../helpers/snapshot.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function chat(
  base: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}`, ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hello' }], ...body }),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TEST_KEY}`, ...headers } });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Parses an SSE body into its data payloads ("[DONE]" kept as a string). */
export function sseEvents(text: string): Array<Record<string, unknown> | '[DONE]'> {
  const out: Array<Record<string, unknown> | '[DONE]'> = [];
  for (const block of text.split('\n\n')) {
    const data = block
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .join('\n');
    if (!data) continue;
    out.push(data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as Record<string, unknown>));
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
