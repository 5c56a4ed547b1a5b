import { describe, expect, it } from 'vitest';
import { parseUserIds } from './room-actions';
import { matchesSearch, type RoomSummary } from './room-summaries';

describe('user IDs typed in a field', () => {
  it('splits on spaces, commas and new lines, and drops repeats', () => {
    expect(parseUserIds(' @a:x, @b:y\n@a:x ')).toEqual(['@a:x', '@b:y']);
    expect(parseUserIds('   ')).toEqual([]);
  });

  it('says which one is not a Matrix ID', () => {
    expect(() => parseUserIds('@a:x bob')).toThrow('"bob" is not a Matrix user ID: they look like @name:example.org.');
  });
});

describe('the room list’s search', () => {
  const room = { name: 'Film crew', roomId: '!abc:example.org' } as RoomSummary;
  it('matches every typed word anywhere in the name or ID, ignoring case', () => {
    expect(matchesSearch(room, 'crew FILM')).toBe(true);
    expect(matchesSearch(room, 'example')).toBe(true);
    expect(matchesSearch(room, '')).toBe(true);
    expect(matchesSearch(room, 'film sound')).toBe(false);
  });
});
