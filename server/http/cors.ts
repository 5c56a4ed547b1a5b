import type { ServerResponse } from 'node:http';

/*
 * The client-server spec requires these CORS headers on every response (browsers fetch media from web
 * clients on other origins). tus and Range add their own request and response headers, which a browser
 * only sends or exposes when they are listed.
 */
const TUS_AND_RANGE_HEADERS = [
  'Upload-Offset',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Metadata',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Location',
  'Content-Range',
  'Accept-Ranges',
];

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': [
    'X-Requested-With',
    'Content-Type',
    'Authorization',
    'Range',
    'Content-Length',
    ...TUS_AND_RANGE_HEADERS,
  ].join(', '),
  'Access-Control-Expose-Headers': [
    'Content-Length',
    'Content-Type',
    'Content-Disposition',
    'Retry-After',
    ...TUS_AND_RANGE_HEADERS,
  ].join(', '),
};

export function applyCors(res: ServerResponse): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
}
