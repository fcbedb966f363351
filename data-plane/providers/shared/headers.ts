/** Request headers per provider: content type, the provider's auth scheme, then config headers. */
import type { ProviderRecord } from '../../../common/snapshot.js';
import { resolveCredential } from './credentials.js';

export function buildHeaders(provider: ProviderRecord, requestId: string, stream: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'x-request-id': requestId,
  };
  const secret = resolveCredential(provider.credential);
  switch (provider.type) {
    case 'anthropic':
      h['anthropic-version'] = '2023-06-01';
      if (secret) h['x-api-key'] = secret;
      break;
    case 'gemini':
      if (secret) h['x-goog-api-key'] = secret;
      break;
    default:
      if (secret) h.authorization = `Bearer ${secret}`;
  }
  for (const k in provider.headers) h[k.toLowerCase()] = provider.headers[k];
  return h;
}
