/**
 * The simulated provider's "request translation": decides, deterministically from the request
 * and the provider's seed, what the fake model will answer — whether this request fails (error
 * rate), and per choice the text pieces or tool calls and the finish reason.
 *
 * - text: an echo of the last user message plus filler, `outputTokens` tokens long, or cut at
 *   max_tokens with finish_reason "length";
 * - response_format json_object / json_schema: a JSON object (schema-shaped for json_schema);
 * - tools with tool_choice "required" or a named function: a tool call with schema-shaped
 *   arguments (finish_reason "tool_calls"); tool_choice "auto" answers in text.
 */
import type { ChatRequest, FinishReason, ToolCall } from '../../../common/openai-types.js';
import type { SimulatedSettings } from '../../../common/snapshot.js';
import { countTextTokens } from '../../../common/tokens.js';
import { maxTokensOf, textOf } from '../shared/content.js';
import { countPromptTokens } from '../shared/usage.js';
import { generateText, valueFor } from './generate.js';
import { hashOf, mulberry32, unitFrom } from './prng.js';

export interface SimChoice {
  index: number;
  /** Content pieces, one stream chunk each (empty for a tool-call answer). */
  pieces: string[];
  toolCalls: ToolCall[];
  finish: FinishReason;
  outputTokens: number;
}

export interface SimPlan {
  fail: boolean;
  id: string;
  choices: SimChoice[];
  promptTokens: number;
  outputTokens: number;
}

export const DEFAULT_SIMULATED: SimulatedSettings = {
  latencyMs: 0,
  interChunkMs: 0,
  outputTokens: 64,
  errorRate: 0,
  seed: 0,
};

/** The request fields that change the answer (the request id and stream flag do not). */
function fingerprint(req: ChatRequest, model: string): unknown {
  return [
    model,
    req.messages,
    req.tools ?? null,
    req.tool_choice ?? null,
    req.response_format ?? null,
    req.seed ?? null,
    maxTokensOf(req),
    req.n ?? 1,
    req.stop ?? null,
  ];
}

function lastUserText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m.role === 'user') return textOf(m.content);
  }
  return '';
}

function toolChoiceTarget(req: ChatRequest): string | null | undefined {
  if (!req.tools || req.tools.length === 0) return undefined;
  const tc = req.tool_choice;
  if (tc && typeof tc === 'object') return tc.function.name;
  if (tc === 'required') return null; // any tool
  return undefined;
}

function planChoice(
  req: ChatRequest,
  model: string,
  settings: SimulatedSettings,
  seed: number,
  index: number,
): SimChoice {
  const rng = mulberry32(seed + index * 7919);
  const max = maxTokensOf(req);
  const target = max === null ? settings.outputTokens : Math.min(settings.outputTokens, max);
  const capped = max !== null && max < settings.outputTokens;

  const toolTarget = toolChoiceTarget(req);
  if (toolTarget !== undefined && req.tools) {
    const tool =
      (toolTarget && req.tools.find((t) => t.function.name === toolTarget)) ||
      req.tools[Math.floor(rng() * req.tools.length)];
    const args = JSON.stringify(valueFor(tool.function.parameters ?? { type: 'object' }, rng));
    const call: ToolCall = {
      id: `call_sim${seed.toString(16)}${index}`,
      type: 'function',
      function: { name: tool.function.name, arguments: args },
    };
    return {
      index,
      pieces: [],
      toolCalls: [call],
      finish: 'tool_calls',
      outputTokens: countTextTokens(model, call.function.name + args),
    };
  }

  const rf = req.response_format;
  if (rf?.type === 'json_object' || rf?.type === 'json_schema') {
    const schema = rf.type === 'json_schema' ? (rf.json_schema as { schema?: unknown } | undefined)?.schema : undefined;
    const value = schema
      ? valueFor(schema, rng)
      : { reply: generateText(model, rng, lastUserText(req), Math.max(1, target - 6), false).text.trim() };
    let json = JSON.stringify(value);
    let finish: FinishReason = 'stop';
    let tokens = countTextTokens(model, json);
    if (max !== null && tokens > max) {
      // A real model cut at max_tokens leaves invalid JSON behind; so does this one.
      while (json.length > 0 && countTextTokens(model, json) > max) json = json.slice(0, Math.floor(json.length * 0.9));
      tokens = countTextTokens(model, json);
      finish = 'length';
    }
    return { index, pieces: json.match(/.{1,16}/gs) ?? [], toolCalls: [], finish, outputTokens: tokens };
  }

  const g = generateText(model, rng, lastUserText(req), target, capped);
  return { index, pieces: g.pieces, toolCalls: [], finish: g.truncated ? 'length' : 'stop', outputTokens: g.tokens };
}

export function planSimulated(req: ChatRequest, model: string, settings: SimulatedSettings): SimPlan {
  const digest = hashOf(fingerprint(req, model), settings.seed);
  const seed = digest.readUInt32BE(4);
  const fail = settings.errorRate > 0 && unitFrom(digest, 0) < settings.errorRate;
  const n = typeof req.n === 'number' && req.n > 1 ? Math.min(req.n, 16) : 1;
  const choices: SimChoice[] = [];
  let outputTokens = 0;
  if (!fail) {
    for (let i = 0; i < n; i++) {
      const c = planChoice(req, model, settings, seed, i);
      outputTokens += c.outputTokens;
      choices.push(c);
    }
  }
  return {
    fail,
    id: `chatcmpl-sim-${digest.subarray(8, 20).toString('hex')}`,
    choices,
    promptTokens: countPromptTokens(req, model),
    outputTokens,
  };
}
