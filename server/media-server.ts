import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WhoamiVerifier, type AccessTokenVerifier } from './auth/access-token-verifier.js';
import { TokenAuthenticator } from './auth/token-authenticator.js';
import { systemClock, type Clock } from './clock.js';
import type { MediaServerConfig } from './config.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { configHandler } from './handlers/config-handler.js';
import { createHandler } from './handlers/create-handler.js';
import { downloadHandler } from './handlers/download-handler.js';
import { thumbnailHandler } from './handlers/thumbnail-handler.js';
import { passThroughHandler } from './handlers/pass-through-handler.js';
import { uploadPostHandler } from './handlers/upload-post-handler.js';
import { uploadPutHandler } from './handlers/upload-put-handler.js';
import { clientAddressOf, plainAddress } from './http/client-address.js';
import { applyCors } from './http/cors.js';
import { endConnectionWithMatrixError, MatrixError, sendMatrixError } from './http/matrix-error.js';
import { BodiesPerAddress, limitConnectionsPerAddress } from './http/per-address-limits.js';
import { Router, type Handler, type RequestContext } from './http/router.js';
import { LiveUploadRegistry } from './live-uploads.js';
import { consoleLogger, type Logger, type MediaServerContext } from './media-context.js';
import { RateLimiter } from './rate-limiter.js';
import { ReaderBudget } from './reader-budget.js';
import { Thumbnailer } from './thumbnails/thumbnailer.js';
import type { MediaStore } from './storage/media-store.js';
import { openMediaStore } from './storage/open-media-store.js';
import { sweepExpiredUploads } from './sweeper.js';
import { bridgeStoreChanges } from './cluster-live-bridge.js';
import { completeDirectUploadHandler, versionsHandler } from './msc3870/direct-upload-handlers.js';
import { isTusPath, TUS_PATH_PREFIX, tusHandler } from './tus/tus-handler.js';

export interface MediaServerOptions {
  clock?: Clock;
  logger?: Logger;
  verifier?: AccessTokenVerifier;
  /** Defaults to the store `config.storage` names (files + SQLite in `config.dataDir` unless told otherwise). */
  store?: MediaStore;
}

export interface RunningMediaServer {
  /** e.g. http://127.0.0.1:43210 */
  url: string;
  context: MediaServerContext;
  /** Runs one expiry sweep now (the server also sweeps every `sweepIntervalMs`). */
  sweep(): Promise<number>;
  /** Stops accepting, gives requests in flight `graceMs` to finish, then cuts the rest and closes the store. */
  close(graceMs?: number): Promise<void>;
}

/*
 * libuv runs file I/O on four threads; two reads at once leave the others to the uploads' writes and
 * syncs, and two are enough to keep every reader busy (a 256 KiB read from the page cache takes well
 * under a millisecond; sending it takes longer).
 */
const DOWNLOAD_READS_AT_ONCE = 2;

/*
 * While an upload arrives, its readers together send at most four bytes per byte uploaded, and at least
 * 64 MB/s: one to four readers keep pace with it, more lag and catch up after it, and readers of a slow
 * upload are never held back (measured in docs/benchmarks.md). Downloads of complete media are not
 * limited.
 */
const READER_BYTES_PER_UPLOADED_BYTE = 4;
const READER_FLOOR_BYTES_PER_SECOND = 64e6;

const SERVER = '(?<serverName>[^/]+)';
const MEDIA = '(?<mediaId>[^/]+)';

function buildRouter(context: MediaServerContext, passThrough: Handler): Router {
  const download = downloadHandler(context, passThrough);
  const notOurs: Handler = async (request) => {
    const path = request.url.pathname;
    if (path.startsWith('/_matrix/media/') || path.startsWith('/_matrix/client/v1/media/')) return passThrough(request);
    throw new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
  };
  const router = new Router(notOurs)
    .on(['POST'], /^\/_matrix\/media\/(?:v1|unstable\/fi\.mau\.msc2246)\/create$/, createHandler(context))
    .on(['POST'], /^\/_matrix\/media\/v3\/upload$/, uploadPostHandler(context))
    .on(
      ['PUT'],
      new RegExp(`^/_matrix/media/(?:v3|unstable/fi\\.mau\\.msc2246)/upload/${SERVER}/${MEDIA}$`),
      uploadPutHandler(context),
    )
    .on(
      ['GET', 'HEAD'],
      new RegExp(
        `^/_matrix/(?:client/v1/media|media/v3|media/r0)/download/${SERVER}/${MEDIA}(?:/(?<fileName>[^/]+))?$`,
      ),
      download,
    )
    .on(
      ['GET'],
      new RegExp(`^/_matrix/(?:client/v1/media|media/v3|media/r0)/thumbnail/${SERVER}/${MEDIA}$`),
      thumbnailHandler(context, passThrough),
    )
    .on(
      ['OPTIONS', 'HEAD', 'PATCH', 'DELETE'],
      new RegExp(`^${TUS_PATH_PREFIX.replaceAll('.', '\\.')}/${SERVER}/${MEDIA}$`),
      tusHandler(context),
    )
    .on(
      ['GET'],
      /^\/_matrix\/(?:client\/v1\/media|media\/v3|media\/r0)\/config$/,
      configHandler(context, { tus: true }),
    );
  if (context.store.directUploads) {
    // MSC3870, only where the store takes direct uploads: elsewhere these paths stay the homeserver's.
    router
      .on(
        ['POST'],
        new RegExp(`^/_matrix/media/(?:v3|unstable/com\\.beeper\\.msc3870)/upload/${SERVER}/${MEDIA}/complete$`),
        completeDirectUploadHandler(context),
      )
      .on(['GET'], /^\/_matrix\/client\/versions$/, versionsHandler(context));
  }
  return router;
}

export async function startMediaServer(
  config: MediaServerConfig,
  options: MediaServerOptions = {},
): Promise<RunningMediaServer> {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? consoleLogger;
  const store = options.store ?? (await openMediaStore(config, log, clock));
  const trustedProxies: ReadonlySet<string> = new Set(config.trustedProxies.map(plainAddress));
  const bodiesArriving = new BodiesPerAddress(config.limits.bodiesPerAddress);
  const context: MediaServerContext = {
    config,
    store,
    live: new LiveUploadRegistry(
      () => new ReaderBudget(READER_BYTES_PER_UPLOADED_BYTE, READER_FLOOR_BYTES_PER_SECOND, 8 * 2 ** 20),
    ),
    authenticator: new TokenAuthenticator(
      options.verifier ??
        new WhoamiVerifier({
          homeserverUrl: config.homeserverUrl,
          clock,
          cacheTtlMs: config.auth.cacheTtlMs,
          cacheSize: config.auth.cacheSize,
          rejectedCacheSize: config.auth.rejectedCacheSize,
        }),
      new RateLimiter(config.auth.failuresPerSecond, config.auth.failureBurst, clock),
    ),
    clientAddressOf: (req) => clientAddressOf(req, trustedProxies),
    clock,
    createLimiter: new RateLimiter(config.limits.createPerSecond, config.limits.createBurst, clock),
    readLimit: new ConcurrencyLimit(DOWNLOAD_READS_AT_ONCE),
    thumbnailer: new Thumbnailer(store),
    log,
  };
  const router = buildRouter(context, passThroughHandler(config.homeserverMediaUrl ?? config.homeserverUrl, log));
  // Several instances share the store: their recorded progress reaches this instance's readers.
  const pollIntervalMs = config.storage.kind === 'object' ? config.storage.pollIntervalMs : 1_000;
  const stopBridge = store.changes ? bridgeStoreChanges(context, store.changes, pollIntervalMs) : undefined;
  const inFlight = new Set<Promise<void>>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    applyCors(res);
    const url = new URL(req.url ?? '/', 'http://media.invalid');
    const request: RequestContext = { req, res, url, params: {}, clientAddress: context.clientAddressOf(req) };
    res.once('close', () => {
      const outcome = res.writableFinished ? String(res.statusCode) : `${res.statusCode} aborted`;
      // The path only: a legacy `?access_token=` must never reach the log.
      const ms = (performance.now() - started).toFixed(1);
      log.info(`${req.method} ${url.pathname} ${outcome} ${ms}ms user=${request.userId ?? '-'}`);
    });
    try {
      if (req.method === 'OPTIONS' && !isTusPath(url.pathname)) {
        // A CORS preflight: the headers above are the whole answer.
        res.writeHead(204).end();
        return;
      }
      bodiesArriving.hold(req, request.clientAddress);
      const { handler, params } = router.resolve(req.method ?? 'GET', url.pathname);
      request.params = params;
      await handler(request);
    } catch (error) {
      answerError(req, res, error, log);
    }
  };

  const server: Server = createServer(
    {
      // No limit on a whole request: an upload of many gigabytes takes hours. Stalled bodies are ended
      // by the body idle timeout (arriving-body.ts) instead, and slow headers by headersTimeout.
      requestTimeout: 0,
      headersTimeout: config.limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(5_000, config.limits.headersTimeoutMs / 2),
    },
    (req, res) => {
      const task = handle(req, res).finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
  );
  limitConnectionsPerAddress(server, trustedProxies, config.limits.connectionsPerAddress);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const late = `The request's headers did not arrive within ${config.limits.headersTimeoutMs / 1000} s`;
      endConnectionWithMatrixError(socket, new MatrixError(408, 'M_UNKNOWN', late), 'Request Timeout');
      return;
    }
    const malformed = new MatrixError(
      400,
      'M_INVALID_PARAM',
      `Malformed HTTP request (${error.code ?? error.message})`,
    );
    endConnectionWithMatrixError(socket, malformed, 'Bad Request');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const sweepTimer = setInterval(() => {
    sweepExpiredUploads(context).catch((error: unknown) => log.error(`expiry sweep failed: ${String(error)}`));
  }, config.sweepIntervalMs || 60_000);
  sweepTimer.unref();

  return {
    url: `http://${config.listen.host}:${port}`,
    context,
    sweep: () => sweepExpiredUploads(context),
    async close(graceMs = 5_000) {
      clearInterval(sweepTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      server.closeAllConnections();
      await Promise.allSettled([...inFlight]);
      await closed;
      stopBridge?.();
      await context.store.close();
    },
  };
}

function answerError(req: IncomingMessage, res: ServerResponse, error: unknown, log: Logger): void {
  if (res.headersSent) {
    // Part of a body was sent: only a broken connection can tell the client it is incomplete.
    res.destroy();
    return;
  }
  const matrixError = error instanceof MatrixError ? error : new MatrixError(500, 'M_UNKNOWN', 'Internal server error');
  if (!(error instanceof MatrixError))
    log.error(`${req.method} ${req.url?.split('?')[0]} failed: ${(error as Error)?.stack ?? String(error)}`);
  // An unread request body (a refused upload) is not drained: answer, then close the connection.
  if (!req.complete) res.setHeader('Connection', 'close');
  sendMatrixError(res, matrixError);
}
