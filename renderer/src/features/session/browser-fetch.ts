import type { MatrixFetch } from '../../../../shared/matrix/client-session';

/** The page's fetch for the client-server calls: no answer within 20 s counts as none, nothing cached. */
export const browserMatrixFetch: MatrixFetch = (url, request = {}) =>
  fetch(url, { ...request, signal: AbortSignal.timeout(20_000), cache: 'no-store' });
