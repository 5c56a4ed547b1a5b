import { crc32 } from '@node-rs/crc32';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/*
 * An HTTP proxy between a Slipstream engine and the stack's nginx, for tests: it forwards everything,
 * logs tus PATCHes (offset and bytes), can slow uploads down, and can rewrite v3 download bodies frame
 * by frame — flip a byte, drop or repeat a block, cut the stream at a block boundary — the way a
 * hostile server or a broken middlebox would.
 */

export interface PatchRecord {
  readonly offset: number;
  /** Body bytes the client sent the proxy (not necessarily all forwarded to the server). */
  bytes: number;
  status?: number;
}

/** What to do to frame `index` (0-based block number) of a v3 download. */
export type FrameTamper =
  | { readonly kind: 'flip'; readonly frame: number; readonly byte: number; readonly fixCrc: boolean }
  | { readonly kind: 'drop'; readonly frame: number }
  | { readonly kind: 'repeat'; readonly frame: number }
  | { readonly kind: 'cutAfter'; readonly frame: number };

export interface MediaProxyOptions {
  readonly upstream: string;
  /** The port to listen on (a proxy started again where an earlier one was); a free one by default. */
  readonly port?: number;
  /** Upload bodies are released at this many bytes per second at most. */
  uploadBytesPerSecond?: number;
  /** Download bodies likewise. */
  downloadBytesPerSecond?: number;
  /** Breaks the next upload (PUT/PATCH) connection once this many body bytes went through, then clears. */
  breakNextUploadAfter?: number;
  /** Breaks the next download connection once this many body bytes went through, then clears. */
  breakNextDownloadAfter?: number;
  /** Applied to v3 downloads (GET of a media download path) that start at byte 0. */
  tamper?: FrameTamper;
}

class Throttle extends Transform {
  private started = performance.now();
  private sent = 0;
  /** `rate` is read on every chunk, so a test can change it while a transfer runs. */
  constructor(private readonly rate: () => number | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const rate = this.rate();
    this.sent += chunk.length;
    if (!rate) {
      callback(null, chunk);
      return;
    }
    const due = this.started + (this.sent / rate) * 1000;
    setTimeout(() => callback(null, chunk), Math.max(0, due - performance.now()));
  }
}

/** Reassembles a v3 stream into frames and applies one tamper to them. */
class FrameRewriter extends Transform {
  private buffer = Buffer.alloc(0);
  private sawMagic = false;
  private frame = 0;
  private done = false;
  constructor(private readonly tamper: FrameTamper) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.done) {
      callback();
      return;
    }
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.sawMagic && this.buffer.length >= 4) {
      this.push(this.buffer.subarray(0, 4));
      this.buffer = this.buffer.subarray(4);
      this.sawMagic = true;
    }
    while (this.sawMagic && this.buffer.length >= 16) {
      const length = 16 + this.buffer.readUInt32LE(8);
      if (this.buffer.length < length) break;
      const frame = Buffer.from(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      this.emitFrame(frame, this.frame++);
      if (this.done) break;
    }
    callback();
  }
  override _flush(callback: TransformCallback): void {
    if (!this.done && this.buffer.length > 0) this.push(this.buffer);
    callback();
  }
  private emitFrame(frame: Buffer, index: number): void {
    const { tamper } = this;
    if (tamper.frame !== index) {
      this.push(frame);
      return;
    }
    switch (tamper.kind) {
      case 'flip':
        frame[16 + tamper.byte] = frame[16 + tamper.byte]! ^ 0x40;
        if (tamper.fixCrc) frame.writeUInt32LE(crc32(Buffer.concat([frame.subarray(0, 12), frame.subarray(16)])), 12);
        this.push(frame);
        return;
      case 'drop':
        return;
      case 'repeat':
        this.push(frame);
        this.push(frame);
        return;
      case 'cutAfter':
        this.push(frame);
        this.done = true;
    }
  }
}

/**
 * Destroys the client's connection (no clean end) once `bytes` have flowed through `stream`, then
 * calls `broke`: a one-shot break is used up only by a request that really carried that much.
 */
function breakConnectionAfter(
  stream: NodeJS.ReadableStream,
  bytes: number,
  outgoing: { destroy(): void },
  broke: () => void,
): void {
  let seen = 0;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen < bytes) return;
    stream.off('data', onData);
    broke();
    outgoing.destroy();
  };
  stream.on('data', onData);
}

export interface MediaProxy {
  readonly url: string;
  readonly patches: PatchRecord[];
  /** The Range header of every download request, in order (undefined: the whole file). */
  readonly downloadRanges: (string | undefined)[];
  readonly options: MediaProxyOptions;
  close(): Promise<void>;
}

export async function startMediaProxy(options: MediaProxyOptions): Promise<MediaProxy> {
  const upstream = new URL(options.upstream);
  const patches: PatchRecord[] = [];
  const downloadRanges: (string | undefined)[] = [];
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const isPatch = incoming.method === 'PATCH';
    const patch: PatchRecord | undefined = isPatch
      ? { offset: Number(incoming.headers['upload-offset']), bytes: 0 }
      : undefined;
    if (patch) patches.push(patch);
    if (incoming.method === 'GET' && /\/download\//.test(incoming.url ?? ''))
      downloadRanges.push(incoming.headers.range);
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (response) => {
        if (patch) patch.status = response.statusCode;
        const tamper = options.tamper;
        const rewrite =
          tamper !== undefined &&
          incoming.method === 'GET' &&
          /\/download\//.test(incoming.url ?? '') &&
          response.statusCode === 200;
        const headers = { ...response.headers };
        if (rewrite) delete headers['content-length'];
        outgoing.writeHead(response.statusCode ?? 502, headers);
        const rewritten = rewrite ? response.pipe(new FrameRewriter(tamper)) : response;
        const isDownload = incoming.method === 'GET' && /\/download\//.test(incoming.url ?? '');
        if (isDownload && options.breakNextDownloadAfter !== undefined) {
          breakConnectionAfter(rewritten, options.breakNextDownloadAfter, outgoing, () => {
            options.breakNextDownloadAfter = undefined;
          });
        }
        rewritten.pipe(new Throttle(() => options.downloadBytesPerSecond)).pipe(outgoing);
        response.on('error', () => outgoing.destroy());
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.on('aborted', () => forward.destroy());
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) forward.destroy();
    });
    // Counted as they leave the client (the proxy reads only as fast as its throttle lets them through).
    incoming.on('data', (chunk: Buffer) => {
      if (patch) patch.bytes += chunk.length;
    });
    if ((incoming.method === 'PUT' || incoming.method === 'PATCH') && options.breakNextUploadAfter !== undefined) {
      breakConnectionAfter(incoming, options.breakNextUploadAfter, outgoing, () => {
        options.breakNextUploadAfter = undefined;
      });
    }
    incoming.pipe(new Throttle(() => options.uploadBytesPerSecond)).pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    patches,
    downloadRanges,
    options,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
