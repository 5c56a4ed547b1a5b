import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';
import { MEDIA_SERVER_ENVIRONMENT } from '../scripts/stack/media-server.js';
import { homeserverLocation, mediaLocations, UPSTREAMS } from '../scripts/stack/nginx-config.js';

/*
 * docs/deploy.md shows admins the nginx locations the local stack runs in every integration test. If
 * the generator changes, the guide must change with it, or admins deploy something the tests never saw.
 */

const deployGuide = await readFile(new URL('../docs/deploy.md', import.meta.url), 'utf8');

describe('docs/deploy.md', () => {
  it('shows the media locations exactly as the stack generates them', () => {
    expect(deployGuide).toContain(mediaLocations(UPSTREAMS.media));
  });

  it('shows the homeserver location exactly as the stack generates it', () => {
    expect(deployGuide).toContain(homeserverLocation(UPSTREAMS.homeserver));
  });

  it('runs the server with the process settings the stack runs it with', () => {
    const environment = Object.entries(MEDIA_SERVER_ENVIRONMENT).map(([name, value]) => `${name}=${value}`);
    expect(deployGuide).toContain(`${environment.join(' ')} node ${SLIPSTREAM_NODE_FLAGS.join(' ')} `);
  });
});
