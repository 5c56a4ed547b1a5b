import { IpcError, ipcFailureSchema } from '../../../../shared/ipc/ipc-error';
import { RESTARTED_MESSAGE } from '../../platform/connection-phase';

export interface Spooled {
  readonly spoolId: string;
  readonly size: number;
}

export interface SpoolUpload {
  readonly done: Promise<Spooled>;
  abort(): void;
}

export const COPY_CANCELLED = 'COPY_CANCELLED';

function failureFrom(request: XMLHttpRequest, fileName: string): IpcError {
  if (request.status === 401) {
    return new IpcError('HOST_RESTARTED', `${RESTARTED_MESSAGE} Open the new link shown where Slipstream is running.`);
  }
  try {
    const failure = ipcFailureSchema.parse(JSON.parse(request.responseText));
    return new IpcError(failure.code, `${fileName} could not be copied into Slipstream: ${failure.message}`);
  } catch {
    return new IpcError('SPOOL_FAILED', `${fileName} could not be copied into Slipstream (HTTP ${request.status}).`);
  }
}

/**
 * Streams a dropped file into the browser host's spool (PUT /spool), the only way a browser can hand
 * over a file it gives no path for. XMLHttpRequest rather than fetch: it reports upload progress, and
 * the browser sets Content-Length from the File, which the host checks and reserves space for.
 */
export function uploadToSpool(file: File, onProgress: (sent: number) => void): SpoolUpload {
  const request = new XMLHttpRequest();
  const done = new Promise<Spooled>((resolve, reject) => {
    request.open('PUT', `/spool?name=${encodeURIComponent(file.name)}`);
    request.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    request.addEventListener('load', () => {
      if (request.status !== 201) return reject(failureFrom(request, file.name));
      try {
        const answer = JSON.parse(request.responseText) as Partial<Spooled>;
        if (typeof answer.spoolId !== 'string' || typeof answer.size !== 'number') throw new Error('no spool ID');
        resolve({ spoolId: answer.spoolId, size: answer.size });
      } catch {
        reject(
          new IpcError('SPOOL_FAILED', `Slipstream took ${file.name} but did not say where it put it; drop it again.`),
        );
      }
    });
    request.addEventListener('error', () =>
      reject(
        new IpcError(
          'DISCONNECTED',
          `The connection to Slipstream broke while ${file.name} was being copied; drop it again.`,
        ),
      ),
    );
    request.addEventListener('abort', () =>
      reject(new IpcError(COPY_CANCELLED, `Copying ${file.name} was cancelled.`)),
    );
    request.send(file);
  });
  return { done, abort: () => request.abort() };
}
