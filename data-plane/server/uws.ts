/**
 * Loads uWebSockets.js and proves the native binary is what loaded. The package silently falls
 * back to a slow pure-Node implementation (src/uws.js → ../dist/index) when the binary does not
 * match this Node build or UWS_USE_FALLBACK is set; serving from that would quietly lose most of
 * the data plane's speed, so start-up fails instead.
 */

import uWS from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export class UwsFallbackError extends Error {
  override name = 'UwsFallbackError';
}

let verified = false;

export function assertNativeUws(): void {
  if (verified) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('uWebSockets.js');
  const binary = join(
    dirname(entry),
    '..',
    'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
  );
  let native: unknown;
  try {
    native = require(binary);
  } catch (err) {
    throw new UwsFallbackError(
      `uWebSockets.js has no native binary for this Node build (${binary}): ${(err as Error).message}. ` +
        'Refusing to serve from the slow fallback implementation; use a supported Node version (20 or 22).',
    );
  }
  // require() caches by path, so the package's export is this very object only if it loaded the binary.
  if (native !== uWS) {
    throw new UwsFallbackError(
      'uWebSockets.js loaded its slow Node fallback instead of the native binary' +
        (process.env.UWS_USE_FALLBACK ? ' (UWS_USE_FALLBACK is set; unset it)' : '') +
        '. Refusing to start.',
    );
  }
  verified = true;
}

/** `close()` exists on the native app (closes every socket) but is missing from the shipped typings. */
export type UwsApp = uWS.TemplatedApp & { close(): void };

export type { HttpRequest, HttpResponse, us_listen_socket } from 'uWebSockets.js';
export { uWS };
