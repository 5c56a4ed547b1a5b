import { describe, expect, it } from 'vitest';
import type { FileItem, TimelineItem } from '../../room/timeline-items';
import { previousSnapshotOf, repliedEventIdOf } from './snapshot-pairs';

let clock = 1_700_000_000_000;

function file(id: string, fileName: string, sender = '@alice:x', extra: Partial<FileItem> = {}): FileItem {
  clock += 1000;
  return {
    kind: 'file',
    id,
    sender,
    senderName: sender.slice(1, sender.indexOf(':')),
    timestamp: clock,
    pending: false,
    content: { msgtype: 'm.file', filename: fileName },
    fileName,
    size: 1024,
    mimetype: 'application/octet-stream',
    format: 'v3',
    outcomeFollows: true,
    outcome: undefined,
    ...extra,
  };
}

function replyTo(item: FileItem, eventId: string): FileItem {
  return { ...item, content: { ...item.content, 'm.relates_to': { 'm.in_reply_to': { event_id: eventId } } } };
}

const text = (id: string): TimelineItem => ({
  kind: 'text',
  id,
  sender: '@alice:x',
  senderName: 'alice',
  timestamp: 0,
  pending: false,
  body: 'atrium.glb',
  emote: false,
});

describe('the previous snapshot of a scene in a room', () => {
  it('is the newest earlier scene file with the same name from the same sender', () => {
    const first = file('$1', 'atrium.glb');
    const second = file('$2', 'atrium.glb');
    const third = file('$3', 'atrium.glb');
    const items = [first, text('$t'), second, third];
    expect(previousSnapshotOf(items, third)).toBe(second);
    expect(previousSnapshotOf(items, second)).toBe(first);
    expect(previousSnapshotOf(items, first)).toBeUndefined();
  });

  it('ignores other senders, other names, other kinds of file, later files and files still being sent', () => {
    const mine = file('$1', 'atrium.glb');
    const items = [
      mine,
      file('$2', 'atrium.glb', '@bob:x'),
      file('$3', 'lobby.glb'),
      file('$4', 'atrium.glb.zip'),
      file('$5', 'atrium.glb', '@alice:x', { pending: true }),
    ];
    const latest = file('$6', 'atrium.glb');
    items.push(latest, file('$7', 'atrium.glb'));
    expect(previousSnapshotOf(items, latest)).toBe(mine);
  });

  it('is the scene file a snapshot replies to, before any guess by name', () => {
    const chosen = file('$1', 'atrium-v1.glb', '@bob:x');
    const sameName = file('$2', 'atrium.glb');
    const reply = replyTo(file('$3', 'atrium.glb'), '$1');
    expect(previousSnapshotOf([chosen, sameName, reply], reply)).toBe(chosen);
  });

  it('falls back to the name when the reply is to something else: a text, a file that is not a scene, an unknown event', () => {
    const sameName = file('$1', 'atrium.glb');
    const notAScene = file('$2', 'notes.pdf');
    const items: TimelineItem[] = [sameName, text('$t'), notAScene];
    for (const target of ['$t', '$2', '$unknown']) {
      const reply = replyTo(file(`$r${target}`, 'atrium.glb'), target);
      expect(previousSnapshotOf([...items, reply], reply)).toBe(sameName);
    }
  });

  it('counts .gltf and scenes recognised by their MIME type', () => {
    const earlier = file('$1', 'hall', '@alice:x', { mimetype: 'model/gltf-binary' });
    const later = file('$2', 'hall', '@alice:x', { mimetype: 'model/gltf-binary' });
    expect(previousSnapshotOf([earlier, later], later)).toBe(earlier);
    const json = file('$3', 'hall.gltf');
    const nextJson = file('$4', 'hall.gltf');
    expect(previousSnapshotOf([json, nextJson], nextJson)).toBe(json);
  });

  it('reads a reply’s target from m.relates_to.m.in_reply_to, and nothing from anything else', () => {
    expect(repliedEventIdOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$a' } } })).toBe('$a');
    expect(repliedEventIdOf({})).toBeUndefined();
    expect(repliedEventIdOf({ 'm.relates_to': { rel_type: 'm.reference', event_id: '$a' } })).toBeUndefined();
    expect(repliedEventIdOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: 7 } } })).toBeUndefined();
    expect(repliedEventIdOf({ 'm.relates_to': 'nonsense' })).toBeUndefined();
  });
});
