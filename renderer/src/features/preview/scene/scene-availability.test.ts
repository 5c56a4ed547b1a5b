import { describe, expect, it } from 'vitest';
import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import { sceneAvailabilityOf, sceneFailureReason, sceneProblemSentence } from './scene-availability';
import { SceneFileError } from './scene-file-error';

const MB = 1024 * 1024;

function transfer(fields: Partial<TransferUpdate>): TransferUpdate {
  return {
    id: 't1',
    direction: 'receive',
    status: 'downloading',
    createdAt: 1,
    fileName: 'atrium.glb',
    mimetype: 'model/gltf-binary',
    bytesDone: 0,
    bytesTotal: 100 * MB,
    rate: 0,
    ...fields,
  } as TransferUpdate;
}

describe('what a scene card shows from its transfer', () => {
  it('offers the scene when this device has no transfer of it', () => {
    expect(sceneAvailabilityOf(undefined)).toEqual({ kind: 'offered' });
  });

  it('says how far a receive has come while its bytes arrive', () => {
    expect(sceneAvailabilityOf(transfer({ bytesDone: 45 * MB }))).toEqual({
      kind: 'arriving',
      words: 'Scene arriving… 45 %',
      percent: 45,
    });
    expect(sceneAvailabilityOf(transfer({ status: 'queued' }))).toMatchObject({ words: 'Scene waiting to download…' });
    expect(sceneAvailabilityOf(transfer({ status: 'paused', bytesDone: 10 * MB }))).toMatchObject({
      words: 'Scene paused at 10 %',
    });
  });

  it('never draws a receive before it is complete: every byte here but unconfirmed is still waiting', () => {
    const everyByte = transfer({ bytesDone: 100 * MB, waitingForOutcome: true });
    expect(sceneAvailabilityOf(everyByte)).toEqual({
      kind: 'arriving',
      words: 'Scene here; it opens once the sender confirms it…',
      percent: 100,
    });
    expect(sceneAvailabilityOf(transfer({ bytesDone: 100 * MB })).kind).toBe('arriving');
    expect(sceneAvailabilityOf(transfer({ status: 'completed', bytesDone: 100 * MB, verified: true })).kind).toBe(
      'ready',
    );
  });

  it('draws the sender’s own scene at once: the file is whole on this device', () => {
    for (const status of ['queued', 'uploading', 'paused', 'completed'] as const)
      expect(sceneAvailabilityOf(transfer({ direction: 'send', status })).kind).toBe('ready');
  });

  it('leaves failed and cancelled transfers to the card’s own words', () => {
    expect(sceneAvailabilityOf(transfer({ status: 'failed' })).kind).toBe('gone');
    expect(sceneAvailabilityOf(transfer({ status: 'cancelled', direction: 'send' })).kind).toBe('gone');
  });
});

describe('why a scene could not be shown, in words', () => {
  it('gives the viewer’s own reasons as they are', () => {
    expect(sceneProblemSentence(new SceneFileError('EMPTY_SCENE', 'it has nothing to draw (no meshes).'))).toBe(
      'This scene could not be shown: it has nothing to draw (no meshes).',
    );
  });

  it('drops three.js’s developer prefix and ends the sentence', () => {
    expect(sceneFailureReason(new Error('THREE.GLTFLoader: Primitive mode unsupported: 7'))).toBe(
      'Primitive mode unsupported: 7.',
    );
  });

  it('words the errors of damaged data', () => {
    expect(sceneFailureReason(new RangeError('Offset is outside the bounds of the DataView'))).toBe(
      'its data ends before what it describes (the file is damaged).',
    );
    const syntax = new SyntaxError('Unexpected end of JSON input');
    expect(sceneFailureReason(syntax)).toBe('its glTF JSON is not valid (Unexpected end of JSON input).');
    expect(sceneFailureReason('nonsense')).toBe('something went wrong while reading it.');
  });
});
