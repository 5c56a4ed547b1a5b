import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debuglog } from 'node:util';

/**
 * The optional native AES-256-GCM batch cipher (native/msc4016_cipher.c): found, loaded and checked
 * against a known answer once per thread. Anything short of a working addon leaves the codec on
 * node:crypto, silently but for one debug line (`NODE_DEBUG=slipstream-cipher`) and the benchmark's.
 */

/** The addon's two functions, as msc4016_cipher.c documents them. */
export interface NativeCipherAddon {
  seal(
    key: Uint8Array,
    iv: Uint8Array,
    firstSequence: number,
    plaintext: Uint8Array,
    blockSize: number,
    frames: Uint8Array,
    framing: Uint8Array,
  ): void;
  /** `state` receives: frames opened, input bytes they took, output bytes written, an OpenFault. */
  open(key: Uint8Array, iv: Uint8Array, input: Uint8Array, count: number, output: Uint8Array, state: Uint32Array): void;
  /** The OpenSSL the addon's EVP calls resolved to. */
  readonly openssl: string;
}

/** How `open` stopped (enum open_fault in msc4016_cipher.c). */
export const OpenFault = { none: 0, incomplete: 1, badHeader: 2, tampered: 3, noRoom: 4 } as const;

export interface NativeCipherLoad {
  /** Present only when the addon loaded and passed its known-answer test on this thread. */
  readonly addon?: NativeCipherAddon;
  /** Which cipher the codec uses and, for node:crypto, why. */
  readonly description: string;
}

const ADDON_FILE = 'native/build/Release/msc4016_cipher.node';
/** Set to 0 to keep the codec on node:crypto (tests run every codec suite both ways). */
export const NATIVE_CIPHER_SWITCH = 'SLIPSTREAM_NATIVE_CIPHER';
/** The addon's path for code bundled away from main/core/codec (an absolute path). */
export const NATIVE_CIPHER_PATH = 'SLIPSTREAM_NATIVE_CIPHER_PATH';

const log = debuglog('slipstream-cipher');
let loaded: NativeCipherLoad | undefined;

/** The addon if it can be used on this thread; the outcome is decided once and logged once. */
export function loadNativeCipherAddon(): NativeCipherLoad {
  if (loaded === undefined) {
    loaded = attemptLoad();
    log('MSC4016 v3 blocks are sealed and opened by %s', loaded.description);
  }
  return loaded;
}

function attemptLoad(): NativeCipherLoad {
  if (process.env[NATIVE_CIPHER_SWITCH] === '0') {
    return { description: `node:crypto (${NATIVE_CIPHER_SWITCH}=0)` };
  }
  // Electron links BoringSSL and does not export OpenSSL's EVP symbols to addons; its main process
  // keeps node:crypto rather than risk an addon bound to something else.
  if (process.versions.electron !== undefined) {
    return { description: 'node:crypto (Electron: the native cipher needs the OpenSSL inside Node)' };
  }
  const path = addonCandidates().find((candidate) => existsSync(candidate));
  if (path === undefined) {
    return { description: 'node:crypto (the native cipher is not built; `npm run build:native` builds it)' };
  }
  let addon: NativeCipherAddon;
  try {
    // Linked with immediate binding, so a runtime without OpenSSL's EVP symbols refuses it right here.
    addon = createRequire(import.meta.url)(path) as NativeCipherAddon;
  } catch (error) {
    return { description: `node:crypto (the native cipher did not load: ${(error as Error).message})` };
  }
  const fault = knownAnswerFault(addon);
  if (fault !== undefined) return { description: `node:crypto (the native cipher failed its self-test: ${fault})` };
  return { addon, description: `the native cipher (${addon.openssl})` };
}

/**
 * Beside this module in a checkout, or exactly where NATIVE_CIPHER_PATH says (a bundle built elsewhere,
 * as the benchmarks' peers are). Nowhere else: a native module runs code as it loads, before any
 * self-test, so it is never searched for in folders someone else might write to.
 */
function addonCandidates(): string[] {
  const named = process.env[NATIVE_CIPHER_PATH];
  if (named) return [named];
  return [join(dirname(fileURLToPath(import.meta.url)), ADDON_FILE)];
}

/**
 * A fixed vector: 33 bytes sealed as 16-byte blocks from sequence 2^32 − 3 (a short last block, and
 * sequence numbers whose every byte is set), CRC fields left 0 as the addon leaves them. The digest
 * was computed with node:crypto (block-cipher.ts); a test recomputes it that way.
 */
export const KNOWN_ANSWER = {
  key: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
  iv: Buffer.from(Array.from({ length: 12 }, (_, i) => 0xa0 + i)),
  plaintext: Buffer.from(Array.from({ length: 33 }, (_, i) => (i * 7) & 0xff)),
  blockSize: 16,
  firstSequence: 2 ** 32 - 3,
  framesSha256: '516dfcee80b7cf77c1b0c1898ca32bb3b384f6c820938cae6fb491a04bf73c2b',
};

/** Why the addon cannot be trusted, or undefined: it seals the vector exactly, opens it back, and refuses a tampered block without leaking its plaintext. */
function knownAnswerFault(addon: NativeCipherAddon): string | undefined {
  const { key, iv, plaintext, blockSize, firstSequence, framesSha256 } = KNOWN_ANSWER;
  try {
    const frames = Buffer.alloc(plaintext.length + 3 * 32);
    addon.seal(key, iv, firstSequence, plaintext, blockSize, frames, Buffer.alloc(3 * 32));
    if (createHash('sha256').update(frames).digest('hex') !== framesSha256) return 'wrong ciphertext';
    const output = Buffer.alloc(frames.length);
    const state = new Uint32Array(4);
    addon.open(key, iv, frames, 3, output, state);
    if (state[0] !== 3 || state[3] !== OpenFault.none || !output.subarray(0, state[2]).equals(plaintext)) {
      return 'wrong plaintext';
    }
    frames[48 + 20]! ^= 1;
    output.fill(0xff);
    addon.open(key, iv, frames, 3, output, state);
    const [opened, , , fault] = state;
    if (opened !== 1 || fault !== OpenFault.tampered || !output.subarray(16, 32).every((byte) => byte === 0)) {
      return 'a tampered block was not refused cleanly';
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
