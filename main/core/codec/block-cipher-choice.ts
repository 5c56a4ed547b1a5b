import { type BlockCipher, nodeBlockCipher } from './block-cipher.js';
import { nativeBlockCipher } from './native-block-cipher.js';
import { loadNativeCipherAddon } from './native-cipher-addon.js';

/**
 * Which BlockCipher a FrameCipher runs: `fastest` is the native batch cipher when its addon loads and
 * passes its self-test on this thread, otherwise node:crypto; `node:crypto` pins node:crypto (the
 * benchmark compares the two). Both give the same bytes, so threads of one pool may differ.
 */
export type BlockCipherChoice = 'fastest' | 'node:crypto';

let fastest: BlockCipher | undefined;

export function blockCipherFor(choice: BlockCipherChoice = 'fastest'): BlockCipher {
  if (choice === 'node:crypto') return nodeBlockCipher;
  if (fastest === undefined) {
    const { addon } = loadNativeCipherAddon();
    fastest = addon ? nativeBlockCipher(addon) : nodeBlockCipher;
  }
  return fastest;
}

/** Which implementation `choice` runs here and, for node:crypto, why: for debug and benchmark lines. */
export function describeBlockCipher(choice: BlockCipherChoice = 'fastest'): string {
  return choice === 'node:crypto' ? 'node:crypto (chosen)' : loadNativeCipherAddon().description;
}
