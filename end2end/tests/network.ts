import { CDPSession, Page } from '@playwright/test';

/** One response as the browser's network layer saw it (Chromium's DevTools protocol). */
export interface Transfer {
  url: string;
  status: number;
  /** Bytes that came over the wire (headers included); 0 when served from the browser's cache. */
  bytes: number;
  fromCache: boolean;
  encoding: string;
  cacheControl: string;
  /** Milliseconds since the recording started, when the request was sent. */
  at: number;
}

/**
 * Records every response of `page` from now on: what came over the wire and what the cache served.
 * `transfers()` lists the finished ones; a streamed response (server-sent events) is counted as its
 * chunks arrive, in `streamed`.
 */
export async function recordNetwork(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const started = Date.now();
  const pending = new Map<string, Transfer>();
  const done: Transfer[] = [];
  const streamed = new Map<string, { bytes: number; chunks: number }>();
  cdp.on('Network.requestWillBeSent', (event) => {
    pending.set(event.requestId, {
      url: event.request.url, status: 0, bytes: 0, fromCache: false, encoding: '', cacheControl: '',
      at: Date.now() - started,
    });
  });
  cdp.on('Network.requestServedFromCache', (event) => {
    const transfer = pending.get(event.requestId);
    if (transfer) transfer.fromCache = true;
  });
  cdp.on('Network.responseReceived', (event) => {
    const transfer = pending.get(event.requestId);
    if (!transfer) return;
    const headers = Object.fromEntries(Object.entries(event.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    transfer.status = event.response.status;
    transfer.encoding = headers['content-encoding'] ?? '';
    transfer.cacheControl = headers['cache-control'] ?? '';
    transfer.fromCache ||= !!(event.response.fromDiskCache || event.response.fromPrefetchCache);
  });
  cdp.on('Network.dataReceived', (event) => {
    const url = pending.get(event.requestId)?.url;
    if (!url) return;
    const seen = streamed.get(url) ?? { bytes: 0, chunks: 0 };
    streamed.set(url, { bytes: seen.bytes + event.encodedDataLength, chunks: seen.chunks + 1 });
  });
  const finish = (requestId: string, bytes: number) => {
    const transfer = pending.get(requestId);
    if (!transfer) return;
    pending.delete(requestId);
    transfer.bytes = transfer.fromCache ? 0 : bytes;
    done.push(transfer);
  };
  cdp.on('Network.loadingFinished', (event) => finish(event.requestId, event.encodedDataLength));
  cdp.on('Network.loadingFailed', (event) => finish(event.requestId, 0));
  return {
    cdp,
    transfers: () => [...done],
    streamed,
    /** Bytes over the wire so far, streams still open included. */
    bytes: () => done.reduce((sum, t) => sum + t.bytes, 0),
    clear: () => { done.length = 0; streamed.clear(); },
  };
}

/** The browser bundle: the WebAssembly, its JavaScript and the stylesheet. */
export function isBundle(url: string) {
  return /\/pkg\/[^?]+\.(wasm|js|css)$/.test(new URL(url).pathname);
}
