import type { OpenAIErrorBody } from '../common/openai-types.js';

/**
 * A typed error that the server renders as OpenAI-style JSON with the right status.
 * Every stage throws these (never bare Errors) for anything a client should see.
 */
export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
    /** Extra response headers, e.g. Retry-After or x-ratelimit-*. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(400, 'invalid_request_error', code, message, param);

export const unauthorized = (message: string, code = 'invalid_api_key') =>
  new GatewayError(401, 'invalid_request_error', code, message);

export const forbidden = (message: string, code = 'route_not_allowed') =>
  new GatewayError(403, 'permission_error', code, message);

export const notFound = (message: string, code = 'model_not_found', param: string | null = 'model') =>
  new GatewayError(404, 'invalid_request_error', code, message, param);

export const payloadTooLarge = (limit: number) =>
  new GatewayError(413, 'invalid_request_error', 'request_too_large', `Request body exceeds ${limit} bytes`);

export const rateLimited = (
  message: string,
  code: 'rate_limit_exceeded' | 'budget_exceeded' | string,
  headers: Record<string, string>,
) =>
  new GatewayError(
    429,
    code === 'budget_exceeded' ? 'insufficient_quota' : 'rate_limit_error',
    code,
    message,
    null,
    headers,
  );

export const policyViolation = (message: string, code = 'policy_violation') =>
  new GatewayError(400, 'invalid_request_error', code, message);

export const serviceUnavailable = (message: string, code: string, headers: Record<string, string> = {}) =>
  new GatewayError(503, 'service_unavailable', code, message, null, headers);

export const upstreamError = (status: number, message: string, code: string | null = 'upstream_error') =>
  new GatewayError(status, status === 429 ? 'rate_limit_error' : 'api_error', code, message);
