import { request as httpRequest, type ClientRequest } from 'node:http';
import { TUS_PATH_PREFIX } from '../../server/handlers/config-handler.js';
import { auth, SERVER_NAME, TOKENS } from '../../server/testing/harness.js';

/** How a tus PATCH written piece by piece ended: the server's answer, or a broken connection. */
export type PatchOutcome =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly headers: Record<string, unknown>;
      readonly text: string;
    }
  | { readonly kind: 'broken'; readonly error: Error };

/**
 * A tus PATCH whose body the test writes piece by piece (node:http, so a server that dies or answers
 * early shows as exactly that). `outcome` settles once the server answered or the connection broke.
 */
export function startPatch(
  baseUrl: string,
  mediaId: string,
  offset: number,
  headers: Record<string, string> = {},
): { request: ClientRequest; outcome: Promise<PatchOutcome>; write(chunk: Buffer): Promise<boolean> } {
  const request = httpRequest(`${baseUrl}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`, {
    method: 'PATCH',
    agent: false,
    headers: {
      ...auth(TOKENS.alice),
      'Tus-Resumable': '1.0.0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      ...headers,
    },
  });
  request.setNoDelay(true);
  let settled = false;
  const outcome = new Promise<PatchOutcome>((resolve) => {
    request.once('error', (error) => {
      settled = true;
      resolve({ kind: 'broken', error });
    });
    request.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => {
        settled = true;
        resolve({ kind: 'answered', status: res.statusCode ?? 0, headers: res.headers, text });
      });
      res.once('error', (error) => {
        settled = true;
        resolve({ kind: 'broken', error });
      });
    });
  });
  request.flushHeaders();
  /** Writes unless the request already ended; false once it did (the rest is not sent). */
  const write = (chunk: Buffer): Promise<boolean> =>
    new Promise((resolve) => {
      if (settled || request.destroyed) return resolve(false);
      request.write(chunk, (error) => resolve(!error));
    });
  return { request, outcome, write };
}

/** HEAD the tus upload: its offset (and length) as the store holds them. */
export async function tusHead(baseUrl: string, mediaId: string): Promise<{ offset: number; length: number | null }> {
  const response = await fetch(`${baseUrl}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`, {
    method: 'HEAD',
    headers: { ...auth(TOKENS.alice), 'Tus-Resumable': '1.0.0' },
  });
  if (response.status !== 200) throw new Error(`HEAD answered ${response.status}`);
  const length = response.headers.get('upload-length');
  return { offset: Number(response.headers.get('upload-offset')), length: length === null ? null : Number(length) };
}

/** The rest of an upload in one PATCH (fetch), from `offset`. */
export async function patchRest(baseUrl: string, mediaId: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(`${baseUrl}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`, {
    method: 'PATCH',
    headers: {
      ...auth(TOKENS.alice),
      'Tus-Resumable': '1.0.0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
    },
    body: body.subarray(offset),
  });
}
