/**
 * Helpers of the multi-replica tests: the fixture config (test/cluster/fixtures/config, copied to
 * a temp folder because tests edit it), its test-only secrets, and small HTTP clients for the
 * data planes (chat, streamed chat, /admin/budgets).
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURE_CONFIG = join(import.meta.dirname, 'fixtures/config');

/** Secrets of the keys in fixtures/config/teams.yaml (test-only values). */
export const KEYS = {
  tpm: 'sk-cluster-tpm-0123456789',
  budget: 'sk-cluster-budget-0123456789',
  cache: 'sk-cluster-cache-0123456789',
  lease: 'sk-cluster-lease-0123456789',
  open: 'sk-cluster-open-0123456789',
} as const;
export const ADMIN_TOKEN = 'sk-cluster-admin-0123456789';

/** Numbers of fixtures/config that the assertions rely on. */
export const FIXTURE = {
  teamTpm: 1500,
  teamBudgetMicros: 1000,
  leaseMs: 8000,
  bufferPercent: 10,
  /** sim-chat on both simulated providers: $0.15 / $0.60 per 1M tokens, in pico-dollars per token. */
  inputPico: 150_000,
  outputPico: 600_000,
};

/** A request's charge: exact pico-dollars, rounded up to micro-dollars (docs/architecture.md). */
export const costMicros = (prompt: number, completion: number): number =>
  Math.ceil((prompt * FIXTURE.inputPico + completion * FIXTURE.outputPico) / 1_000_000);

export async function copyFixtureConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-config-'));
  await cp(FIXTURE_CONFIG, dir, { recursive: true });
  return dir;
}

export interface ChatResult {
  status: number;
  headers: Headers;
  code: string | null;
  text: string | null;
  promptTokens: number;
  completionTokens: number;
}

interface ChatOptions {
  model?: string;
  content?: string;
  maxTokens?: number;
  stream?: boolean;
  timeoutMs?: number;
}

function body(o: ChatOptions): string {
  return JSON.stringify({
    model: o.model ?? 'chat',
    messages: [{ role: 'user', content: o.content ?? 'hello' }],
    ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
    ...(o.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** One chat completion (JSON or SSE, read to the end); usage as the client saw it. */
export async function chat(url: string, key: string, o: ChatOptions = {}): Promise<ChatResult> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body(o),
    signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
  });
  const raw = await res.text();
  const out: ChatResult = {
    status: res.status,
    headers: res.headers,
    code: null,
    text: null,
    promptTokens: 0,
    completionTokens: 0,
  };
  if (res.status !== 200) {
    out.code = (JSON.parse(raw) as { error?: { code?: string } }).error?.code ?? null;
    return out;
  }
  if (!o.stream) {
    const json = JSON.parse(raw) as {
      choices: Array<{ message: { content: string } }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    out.text = json.choices[0]?.message.content ?? null;
    out.promptTokens = json.usage.prompt_tokens;
    out.completionTokens = json.usage.completion_tokens;
    return out;
  }
  if (!raw.includes('data: [DONE]')) throw new Error(`stream did not complete: ${raw.slice(-300)}`);
  let text = '';
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as {
      choices?: Array<{ delta?: { content?: string } }>;
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
    };
    text += chunk.choices?.[0]?.delta?.content ?? '';
    if (chunk.usage) {
      out.promptTokens = chunk.usage.prompt_tokens;
      out.completionTokens = chunk.usage.completion_tokens;
    }
  }
  out.text = text;
  return out;
}

export interface BudgetRow {
  id: string;
  spentMicros: number;
  reservedMicros: number;
  inFlight: number;
  tokensLastMinute: number;
  requestsLastMinute: number;
}

/** One node's row of GET /admin/budgets (shared state in Redis, whichever replica answers). */
export async function budgetRow(url: string, nodeId: string): Promise<BudgetRow> {
  const res = await fetch(`${url}/admin/budgets?node=${encodeURIComponent(nodeId)}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`/admin/budgets answered ${res.status}: ${await res.text()}`);
  const rows = ((await res.json()) as { nodes: BudgetRow[] }).nodes;
  const row = rows.find((r) => r.id === nodeId);
  if (!row) throw new Error(`/admin/budgets has no row ${nodeId}`);
  return row;
}

export async function readyz(url: string): Promise<{ status: number; snapshot: string | null }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const json = (await res.json()) as { snapshot?: string | null };
  return { status: res.status, snapshot: json.snapshot ?? null };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
