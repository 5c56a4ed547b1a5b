import { describe, expect, it } from 'vitest';
import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import { OUTCOME_FOLLOWS_KEY } from '../../../../shared/matrix/transfer-outcome';
import { announcedContent } from './announcement';

const content = (v: string): FileMessageContent =>
  ({
    msgtype: 'm.video',
    body: 'film.mp4',
    filename: 'film.mp4',
    file: { v, key: {}, iv: 'AAAA', url: 'mxc://x/m', hashes: { sha256: 'AAAA' } },
    info: { size: 3 * 1024 ** 3, mimetype: 'video/mp4' },
  }) as never;

describe('the file event Slipstream posts', () => {
  it('keeps the engine’s content, promises an outcome event, and tells other clients what a v3 file is', () => {
    const posted = announcedContent(content('org.matrix.msc4016.v3'));
    expect(posted).toMatchObject({
      msgtype: 'm.video',
      filename: 'film.mp4',
      info: { size: 3 * 1024 ** 3 },
      [OUTCOME_FOLLOWS_KEY]: true,
    });
    expect(posted['body']).toMatch(/^film\.mp4 \(3 GB\), shared with Slipstream in the streaming format of MSC4016/);
  });

  it('names a v2 file by its name alone: every Matrix client opens it', () => {
    expect(announcedContent(content('v2'))['body']).toBe('film.mp4');
  });
});
