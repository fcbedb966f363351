import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../common/openai-types.js';
import { canonicalJson } from '../../data-plane/cache/canonical.js';
import { exactKey, idMatches, idPrefix } from '../../data-plane/cache/exact/key.js';

const base: ChatRequest = {
  model: 'gpt-test',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is 2+2?' },
  ],
};
const key = (body: ChatRequest, ns = 'team:alpha', route = 'gpt-test') => exactKey('chat', ns, route, body).id;
const baseKey = key(base);

/** Every change here can change the answer, so each must produce a different key. */
const changes: Array<[string, Partial<ChatRequest>]> = [
  ['temperature', { temperature: 0.7 }],
  ['temperature 0 vs absent', { temperature: 0 }],
  ['top_p', { top_p: 0.5 }],
  ['max_tokens', { max_tokens: 10 }],
  ['max_completion_tokens', { max_completion_tokens: 10 }],
  ['stop (string)', { stop: 'END' }],
  ['stop (array)', { stop: ['END', 'STOP'] }],
  ['seed', { seed: 42 }],
  ['n', { n: 2 }],
  ['presence_penalty', { presence_penalty: 0.5 }],
  ['frequency_penalty', { frequency_penalty: 0.5 }],
  ['logit_bias', { logit_bias: { '50256': -100 } }],
  ['logprobs', { logprobs: true }],
  ['top_logprobs', { top_logprobs: 3 }],
  ['response_format json_object', { response_format: { type: 'json_object' } }],
  [
    'response_format json_schema',
    { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
  ],
  ['reasoning_effort', { reasoning_effort: 'high' }],
  ['reasoning (object)', { reasoning: { effort: 'low', summary: 'auto' } }],
  ['unknown provider-specific field', { top_k: 40 }],
  ['thinking (anthropic-style extra)', { thinking: { type: 'enabled', budget_tokens: 1024 } }],
  ['tools', { tools: [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } }] }],
  ['tool_choice', { tool_choice: 'required' }],
  ['parallel_tool_calls', { parallel_tool_calls: false }],
  ['modalities/audio extras', { modalities: ['text', 'audio'] }],
];

describe('exact cache key', () => {
  it.each(changes)('changes when %s changes', (_name, change) => {
    expect(key({ ...base, ...change })).not.toBe(baseKey);
  });

  it('changes with the system prompt, each message, names, tool calls and results, content parts', () => {
    const variants: ChatRequest['messages'][] = [
      [{ role: 'system', content: 'You are verbose.' }, base.messages[1]!],
      [base.messages[1]!],
      [base.messages[0]!, { role: 'user', content: 'What is 2+3?' }],
      [base.messages[0]!, { role: 'user', content: 'What is 2+2?', name: 'bob' }],
      [{ role: 'developer', content: 'You are terse.' }, base.messages[1]!],
      [base.messages[0]!, { role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }],
      [
        base.messages[0]!,
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      [
        ...base.messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calc', arguments: '{"a":2}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '4' },
      ],
      [
        ...base.messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calc', arguments: '{"a":3}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '4' },
      ],
      [
        ...base.messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calc', arguments: '{"a":2}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '5' },
      ],
    ];
    const keys = new Set([baseKey, ...variants.map((messages) => key({ ...base, messages }))]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('changes with the route and the namespace (tenant isolation)', () => {
    expect(key(base, 'team:alpha', 'gpt-other')).not.toBe(baseKey);
    expect(key(base, 'team:beta')).not.toBe(baseKey);
    expect(key(base, 'shared:faq')).not.toBe(baseKey);
  });

  it('keeps chat and embeddings keys apart', () => {
    expect(exactKey('embeddings', 'team:alpha', 'gpt-test', base).id).not.toBe(baseKey);
  });

  it('ignores non-semantic fields and the model alias (the route name is keyed instead)', () => {
    expect(key({ ...base, stream: true, stream_options: { include_usage: true } })).toBe(baseKey);
    expect(key({ ...base, user: 'u-123', metadata: { trace: 'x' }, store: true, service_tier: 'flex' })).toBe(baseKey);
    expect(key({ ...base, model: 'some-alias' })).toBe(baseKey);
  });

  it('does not depend on JSON key order', () => {
    const reordered = JSON.parse(
      '{"messages":[{"content":"You are terse.","role":"system"},{"content":"What is 2+2?","role":"user"}],"model":"gpt-test","temperature":0.2}',
    ) as ChatRequest;
    expect(key(reordered)).toBe(key({ ...base, temperature: 0.2 }));
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
    );
  });

  it('encodes namespace and route tags in the id so purges can match', () => {
    const id = key(base);
    expect(idMatches(id, idPrefix('team:alpha', null))).toBe(true);
    expect(idMatches(id, idPrefix('team:alpha', 'gpt-test'))).toBe(true);
    expect(idMatches(id, idPrefix('team:beta', null))).toBe(false);
    expect(idMatches(id, idPrefix(null, 'gpt-other'))).toBe(false);
  });
});
