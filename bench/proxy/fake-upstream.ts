/**
 * Child mode `--fake-upstream`: one fast fake OpenAI-format upstream (uWebSockets.js). Answers a
 * chat completion as JSON, or — when the body asks for `"stream":true` — as a whole SSE stream
 * (role prelude, two content chunks, finish, usage chunk, [DONE]) in one write.
 */
export async function runFakeUpstream(): Promise<void> {
  const { uWS } = await import('../../data-plane/server/uws.js');
  const completion = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, benchmark!' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 },
  });
  const frame = (payload: object) => `data: ${JSON.stringify(payload)}\n\n`;
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model' };
  const chunk = (delta: object, finish: string | null) =>
    frame({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const sse =
    chunk({ role: 'assistant', content: '' }, null) +
    chunk({ content: 'Hello, ' }, null) +
    chunk({ content: 'benchmark!' }, null) +
    chunk({}, 'stop') +
    frame({ ...base, choices: [], usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 } }) +
    'data: [DONE]\n\n';
  const app = uWS.App();
  app.post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    let body = '';
    res.onData((ab, last) => {
      body += Buffer.from(ab).toString();
      if (!last || aborted) return;
      const stream = body.includes('"stream":true');
      res.cork(() => {
        res.writeStatus('200 OK');
        res.writeHeader('content-type', stream ? 'text/event-stream' : 'application/json');
        res.end(stream ? sse : completion);
      });
    });
  });
  app.listen('127.0.0.1', 0, (ls) => {
    if (!ls) throw new Error('fake upstream could not listen');
    console.log(`UPSTREAM_PORT=${uWS.us_socket_local_port(ls as never)}`);
  });
}
