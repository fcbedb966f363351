/**
 * The OpenAI dialect (/v1/chat/completions, /v1/embeddings): the internal format itself, so
 * parsing is shape checks only and rendering is pass-through.
 */
import type { ChatChunk, ChatRequest, EmbeddingsRequest } from '../../common/openai-types.js';
import { badRequest, type GatewayError } from '../errors.js';
import { rawJsonOf } from '../pipeline/stream-chunks.js';
import type { Ingress, ParsedRequest, StreamEncoder } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireModel(json: Record<string, unknown>): void {
  if (typeof json.model !== 'string' || json.model.length === 0) {
    throw badRequest("'model' is required and must be a non-empty string", 'model', 'invalid_value');
  }
}

export function parseChatRequest(json: unknown): ParsedRequest {
  if (!isObject(json)) throw badRequest('The request body must be a JSON object', null, 'invalid_request_body');
  requireModel(json);
  const messages = json.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("'messages' must be a non-empty array", 'messages', 'invalid_value');
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m) || typeof m.role !== 'string') {
      throw badRequest(
        `'messages[${i}]' must be an object with a string 'role'`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) {
      throw badRequest(`'messages[${i}].content' must be a string or an array of parts`, `messages[${i}].content`);
    }
  }
  if (json.stream !== undefined && json.stream !== null && typeof json.stream !== 'boolean') {
    throw badRequest("'stream' must be a boolean", 'stream', 'invalid_type');
  }
  if (json.tools !== undefined && !Array.isArray(json.tools)) throw badRequest("'tools' must be an array", 'tools');
  return { body: json as ChatRequest, stream: json.stream === true };
}

export function parseEmbeddingsRequest(json: unknown): ParsedRequest {
  if (!isObject(json)) throw badRequest('The request body must be a JSON object', null, 'invalid_request_body');
  requireModel(json);
  const input = json.input;
  const ok =
    typeof input === 'string' ||
    (Array.isArray(input) && input.length > 0 && input.length <= 2048 && input.every(isInput));
  if (!ok) {
    throw badRequest(
      "'input' must be a string, an array of strings or an array of token arrays (1..2048 items)",
      'input',
      'invalid_value',
    );
  }
  return { body: json as EmbeddingsRequest, stream: false };
}

const isInput = (v: unknown): boolean =>
  typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.every((t) => typeof t === 'number'));

export const DONE_FRAME = 'data: [DONE]\n\n';

const openAiEncoder: StreamEncoder = {
  // A chunk the adapter passed through unmodified is written as the upstream serialized it.
  chunk: (chunk: ChatChunk) => `data: ${rawJsonOf(chunk) ?? JSON.stringify(chunk)}\n\n`,
  end: () => DONE_FRAME,
};

const errorFrame = (err: GatewayError): string => `data: ${JSON.stringify(err.toBody())}\n\n`;

export const chatIngress: Ingress = {
  endpoint: 'chat',
  parse: parseChatRequest,
  renderJson: (_status, body) => body,
  streamEncoder: () => openAiEncoder,
  errorFrame,
  errorBody: (err) => err.toBody(),
};

export const embeddingsIngress: Ingress = {
  endpoint: 'embeddings',
  parse: parseEmbeddingsRequest,
  renderJson: (_status, body) => body,
  streamEncoder: () => openAiEncoder,
  errorFrame,
  errorBody: (err) => err.toBody(),
};
