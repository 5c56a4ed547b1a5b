import { describe, expect, it } from 'vitest';
import { markedFileName, numberedFileName, safeFileName, utf8Length } from './safe-file-name.js';

describe('safeFileName: names from events are never paths', () => {
  it.each([
    ['../../.bashrc', 'bashrc'],
    ['..', 'download'],
    ['.', 'download'],
    ['/etc/passwd', 'passwd'],
    ['C:\\Windows\\System32\\evil.dll', 'evil.dll'],
    ['dir/sub\\file.txt', 'file.txt'],
    ['...hidden', 'hidden'],
  ])('keeps only the last component of %j, never hidden or climbing: %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('removes control characters, including newlines and NUL', () => {
    expect(safeFileName('a\u0000b\nc\rd\u001be\u007ff\u0085.txt')).toBe('abcdef.txt');
  });

  it('removes bidirectional overrides that disguise an extension', () => {
    // Displayed as "invoiceexe.pdf", really "invoice\u202Efdp.exe".
    expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(safeFileName('a\u2066b\u2069c\u200f\u061c\ufeff.png')).toBe('abc.png');
  });

  it('replaces characters Windows forbids', () => {
    expect(safeFileName('what? <yes>: "a|b*c".txt')).toBe('what_ _yes__ _a_b_c_.txt');
  });

  it.each(['CON', 'con.txt', 'NUL', 'aux.tar.gz', 'COM1', 'lpt9.doc', 'COM¹', 'CONIN$'])(
    'prefixes the reserved device name %j',
    (input) => {
      expect(safeFileName(input)).toBe(`_${input}`);
    },
  );

  it('keeps ordinary names, including non-Latin ones, as they are (NFC)', () => {
    expect(safeFileName('Holiday video 2026.mp4')).toBe('Holiday video 2026.mp4');
    expect(safeFileName('снимок экрана.png')).toBe('снимок экрана.png');
    expect(safeFileName('cafe\u0301.txt')).toBe('café.txt');
    expect(safeFileName('console.log')).toBe('console.log');
  });

  it('drops trailing dots and spaces, and falls back for empty names', () => {
    expect(safeFileName('report.pdf. . ')).toBe('report.pdf');
    expect(safeFileName('')).toBe('download');
    expect(safeFileName(undefined, 'video.mp4')).toBe('video.mp4');
    expect(safeFileName('\u202e\u0000')).toBe('download');
  });

  it('limits names to 255 UTF-8 bytes, keeping the extension and whole characters', () => {
    const name = safeFileName(`${'é'.repeat(300)}.mkv`);
    expect(utf8Length(name)).toBeLessThanOrEqual(255);
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(name.endsWith('é.mkv')).toBe(true);
  });
});

describe('numberedFileName', () => {
  it('puts the number before the extension', () => {
    expect(numberedFileName('film.mp4', 1)).toBe('film (1).mp4');
    expect(numberedFileName('README', 3)).toBe('README (3)');
    expect(numberedFileName('archive.tar.gz', 2)).toBe('archive.tar (2).gz');
  });

  it('marks a name the same way, within 255 UTF-8 bytes', () => {
    expect(markedFileName('film.mp4', 'incomplete')).toBe('film (incomplete).mp4');
    const long = markedFileName(`${'é'.repeat(200)}.mp4`, 'incomplete');
    expect(utf8Length(long)).toBeLessThanOrEqual(255);
    expect(long.endsWith(' (incomplete).mp4')).toBe(true);
  });
});
