/**
 * OpenAI ChatRequest → Gemini generateContent request.
 * - roles: user → "user", assistant → "model", tool → "user" with functionResponse parts (the
 *   function name is looked up from the assistant tool_call with that id); system/developer →
 *   systemInstruction; consecutive same-role turns are merged;
 * - image_url: data URL → inlineData, http(s) URL → fileData (fileUri);
 * - tools → functionDeclarations (JSON Schema reduced to Gemini's OpenAPI subset), tool_choice →
 *   toolConfig.functionCallingConfig (auto AUTO, none NONE, required ANY, named ANY + allowedFunctionNames);
 * - generationConfig: temperature, topP, maxOutputTokens, stopSequences, candidateCount (n), seed,
 *   presence/frequencyPenalty, responseLogprobs/logprobs; response_format json_object →
 *   responseMimeType application/json, json_schema → + responseSchema.
 * Dropped: logit_bias, parallel_tool_calls, user.
 */
import type { ChatMessage, ChatRequest, ContentPart } from '../../../common/openai-types.js';
import { badRequest, maxTokensOf, parseDataUrl, parseToolArguments, partsOf, stopList } from '../shared/content.js';

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
  [k: string]: unknown;
}
export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: Array<{ functionDeclarations: Array<{ name: string; description?: string; parameters?: unknown }> }>;
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}

const UNSUPPORTED_SCHEMA_KEYS = new Set(['$schema', '$id', 'additionalProperties', 'strict', 'examples']);

/** JSON Schema → Gemini's OpenAPI 3.0 subset: drops keys Gemini rejects; `const` becomes a one-value enum. */
export function toGeminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGeminiSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (UNSUPPORTED_SCHEMA_KEYS.has(k)) continue;
    if (k === 'const') out.enum = [v];
    else if (k === 'properties' && v && typeof v === 'object') {
      const props: Record<string, unknown> = {};
      for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) props[pk] = toGeminiSchema(pv);
      out.properties = props;
    } else out[k] = toGeminiSchema(v);
  }
  return out;
}

function partFrom(p: ContentPart): GeminiPart | null {
  if (p.type === 'text') {
    const text = (p as { text?: unknown }).text;
    return typeof text === 'string' && text !== '' ? { text } : null;
  }
  if (p.type === 'image_url') {
    const url = (p as { image_url?: { url?: unknown } }).image_url?.url;
    if (typeof url !== 'string') throw badRequest('image_url part without a url');
    const data = parseDataUrl(url);
    if (data) return { inlineData: { mimeType: data.mediaType, data: data.data } };
    if (/^https?:\/\/|^gs:\/\//.test(url)) return { fileData: { fileUri: url } };
    throw badRequest('image_url must be a base64 data URL or an http(s)/gs URL');
  }
  if (p.type === 'file') {
    const fileData = (p as { file?: { file_data?: unknown } }).file?.file_data;
    const data = typeof fileData === 'string' ? parseDataUrl(fileData) : null;
    if (!data) throw badRequest('file parts need file.file_data as a base64 data URL for gemini');
    return { inlineData: { mimeType: data.mediaType, data: data.data } };
  }
  if (p.type === 'input_audio') {
    const a = (p as { input_audio?: { data?: unknown; format?: unknown } }).input_audio;
    if (typeof a?.data !== 'string') throw badRequest('input_audio part without data');
    return { inlineData: { mimeType: `audio/${typeof a.format === 'string' ? a.format : 'wav'}`, data: a.data } };
  }
  throw badRequest(`content part type "${p.type}" is not supported by gemini`);
}

function partsFrom(content: ChatMessage['content']): GeminiPart[] {
  const out: GeminiPart[] = [];
  for (const p of partsOf(content)) {
    const g = partFrom(p);
    if (g) out.push(g);
  }
  return out;
}

function functionResponse(m: ChatMessage, names: Map<string, string>): GeminiPart {
  const name = (m.tool_call_id ? names.get(m.tool_call_id) : undefined) ?? m.name;
  if (!name) throw badRequest('tool message does not answer a known tool call (tool_call_id not found)');
  const text =
    typeof m.content === 'string'
      ? m.content
      : partsOf(m.content)
          .map((p) => (p as { text?: string }).text ?? '')
          .join('');
  let response: Record<string, unknown>;
  try {
    const v = JSON.parse(text) as unknown;
    response = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { content: v };
  } catch {
    response = { content: text };
  }
  return { functionResponse: { name, response } };
}

function generationConfig(req: ChatRequest): Record<string, unknown> | undefined {
  const g: Record<string, unknown> = {};
  if (typeof req.temperature === 'number') g.temperature = req.temperature;
  if (typeof req.top_p === 'number') g.topP = req.top_p;
  const max = maxTokensOf(req);
  if (max !== null) g.maxOutputTokens = max;
  const stop = stopList(req.stop);
  if (stop) g.stopSequences = stop;
  if (typeof req.n === 'number' && req.n > 1) g.candidateCount = req.n;
  if (typeof req.seed === 'number') g.seed = req.seed;
  if (typeof req.presence_penalty === 'number') g.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number') g.frequencyPenalty = req.frequency_penalty;
  if (req.logprobs === true) {
    g.responseLogprobs = true;
    if (typeof req.top_logprobs === 'number') g.logprobs = req.top_logprobs;
  }
  const rf = req.response_format;
  if (rf?.type === 'json_object' || rf?.type === 'json_schema') g.responseMimeType = 'application/json';
  if (rf?.type === 'json_schema') {
    const schema = (rf.json_schema as { schema?: unknown } | undefined)?.schema;
    if (schema) g.responseSchema = toGeminiSchema(schema);
  }
  return Object.keys(g).length > 0 ? g : undefined;
}

export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...partsFrom(m.content));
        break;
      case 'user':
        push('user', partsFrom(m.content));
        break;
      case 'assistant': {
        const parts = partsFrom(m.content);
        for (const tc of m.tool_calls ?? []) {
          toolNames.set(tc.id, tc.function.name);
          parts.push({
            functionCall: { name: tc.function.name, args: parseToolArguments(tc.function.arguments, tc.function.name) },
          });
        }
        push('model', parts);
        break;
      }
      case 'tool':
        push('user', [functionResponse(m, toolNames)]);
        break;
      default:
        throw badRequest(`message role "${m.role}" is not supported by gemini`);
    }
  }
  const body: GeminiRequest = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (req.tools && req.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => {
          const d: { name: string; description?: string; parameters?: unknown } = { name: t.function.name };
          if (t.function.description) d.description = t.function.description;
          const params = t.function.parameters as { properties?: Record<string, unknown> } | undefined;
          // Gemini rejects an OBJECT schema with no properties: omit parameters for no-arg tools.
          if (params?.properties && Object.keys(params.properties).length > 0) d.parameters = toGeminiSchema(params);
          return d;
        }),
      },
    ];
    const tc = req.tool_choice;
    if (tc === 'auto') body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (tc === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (tc === 'required') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (tc && typeof tc === 'object') {
      body.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [tc.function.name] } };
    }
  }
  const gen = generationConfig(req);
  if (gen) body.generationConfig = gen;
  return body;
}

/** Version prefix + "/models/{model}:{method}"; a base URL without a version path gets /v1beta. */
export function modelPath(baseUrl: string, model: string, method: string): string {
  const path = new URL(baseUrl).pathname.replace(/\/$/, '');
  const version = path === '' ? '/v1beta' : '';
  const name = model.startsWith('models/') ? model.slice(7) : model;
  return `${version}/models/${encodeURIComponent(name)}:${method}`;
}
