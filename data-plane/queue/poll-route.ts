/**
 * GET /v1/queue/{id}: the status of a queued request, or its result — handed out once, then gone.
 * Only the key that queued the request can see it; any other key gets the same 404 as an unknown
 * id, so ids cannot be probed. `Prefer: wait=N` holds the poll until the result exists.
 */
import type { AdminResponse, ClientRequest, ClientRoute } from '../pipeline/deps.js';
import { preferWaitMs } from './prefer.js';
import type { RequestQueue } from './request-queue.js';

export const QUEUE_PATH_PREFIX = '/v1/queue/';

export function queuePollRoute(queue: RequestQueue): ClientRoute {
  return {
    method: 'GET',
    pathPrefix: QUEUE_PATH_PREFIX,
    handler: (req) => poll(queue, req),
  };
}

async function poll(queue: RequestQueue, req: ClientRequest): Promise<AdminResponse> {
  const id = decodeURIComponent(req.rest.replace(/^\/+|\/+$/g, ''));
  const keyHash = req.key.hash;
  const job = queue.get(id, keyHash);
  if (job) {
    const waitMs = preferWaitMs(req.headers.prefer);
    if (waitMs === 0 || !(await queue.waitForResult(job, waitMs, req.signal))) {
      const s = queue.status(job);
      return {
        status: 200,
        body: {
          status: job.state === 'running' ? 'running' : 'queued',
          queue_id: job.id,
          position: job.state === 'running' ? 0 : s.position,
          estimated_wait_seconds: s.estimatedWaitSeconds,
        },
      };
    }
  }
  const result = queue.results.take(id, keyHash);
  if (result) return { status: result.status, body: result.body };
  return {
    status: 404,
    body: {
      error: {
        message: `No queued request '${id}' for this key: unknown, already retrieved, or its result expired`,
        type: 'invalid_request_error',
        code: 'queue_request_not_found',
        param: null,
      },
    },
  };
}
