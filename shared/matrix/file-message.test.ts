import { describe, expect, it } from 'vitest';
import { parseReceivable, parseReceivableFile } from './file-message.js';

const file = {
  v: 'v2',
  key: {
    kty: 'oct',
    alg: 'A256CTR',
    k: 'qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA',
    key_ops: ['encrypt', 'decrypt'],
    ext: true,
  },
  iv: 'X85+XgHN+HEAAAAAAAAAAA',
  hashes: { sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg' },
  url: 'mxc://example.org/abc',
};

describe('what a receive reads from an event', () => {
  it('takes an encrypted file, and the sender’s promise of an outcome event', () => {
    const content = { msgtype: 'm.file', body: 'a.pdf', file, info: { size: 3, mimetype: 'application/pdf' } };
    expect(parseReceivable(content)).toMatchObject({ file, size: 3, untrustedName: 'a.pdf', outcomeFollows: false });
    expect(parseReceivable({ ...content, 'io.slipstream.outcome_follows': true }).outcomeFollows).toBe(true);
    // Only `true` promises it; a bare file block promises nothing.
    expect(parseReceivable({ ...content, 'io.slipstream.outcome_follows': 'yes' }).outcomeFollows).toBe(false);
    expect(parseReceivable(file).outcomeFollows).toBe(false);
  });

  it('takes a plain file from an unencrypted room (a top-level url, no file block)', () => {
    const content = {
      msgtype: 'm.image',
      body: 'cat.png',
      url: 'mxc://example.org/cat',
      info: { size: 9, mimetype: 'image/png' },
    };
    const receivable = parseReceivable(content);
    expect(receivable).toEqual({
      url: 'mxc://example.org/cat',
      size: 9,
      mimetype: 'image/png',
      untrustedName: 'cat.png',
      outcomeFollows: false,
    });
    // Callers that take only encrypted files say why they refuse it.
    expect(() => parseReceivableFile(content)).toThrow(/not end-to-end encrypted/);
    // An encrypted file block wins over a stray top-level url.
    expect(parseReceivable({ ...content, file }).file).toEqual(file);
  });
});
