import type { IncomingMessage, ServerResponse } from 'node:http';
import { MatrixError } from './matrix-error.js';

/** What a handler receives: the raw request and response, the parsed URL and the path's named parts. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The client's address, for per-address limits (http/client-address.ts). */
  clientAddress: string;
  /** Set once the request is authenticated, for the request log. */
  userId?: string;
}

export type Handler = (context: RequestContext) => Promise<void>;

interface Route {
  methods: readonly string[];
  pattern: RegExp;
  handler: Handler;
}

/**
 * A table of (methods, path pattern) → handler, as tus-node-server maps each method to one handler.
 * Patterns are anchored regular expressions whose named groups become `params` (already URL-decoded).
 */
export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly fallback: Handler) {}

  on(methods: readonly string[], pattern: RegExp, handler: Handler): this {
    this.routes.push({ methods, pattern, handler });
    return this;
  }

  /** Finds the handler; a known path with the wrong method is 405, an unknown path goes to the fallback. */
  resolve(method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      pathMatched = true;
      if (!route.methods.includes(method)) continue;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(match.groups ?? {})) {
        if (value === undefined) continue;
        try {
          params[name] = decodeURIComponent(value);
        } catch {
          throw new MatrixError(400, 'M_INVALID_PARAM', `The path segment "${value}" is not valid percent-encoding`);
        }
      }
      return { handler: route.handler, params };
    }
    if (pathMatched) {
      const error = new MatrixError(405, 'M_UNRECOGNIZED', `${method} is not supported on this endpoint`);
      return {
        handler: async () => {
          throw error;
        },
        params: {},
      };
    }
    return { handler: this.fallback, params: {} };
  }
}
