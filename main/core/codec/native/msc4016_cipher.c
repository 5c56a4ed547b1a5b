/*
 * msc4016_cipher: MSC4016 v3 blocks sealed and opened a whole batch per call, written straight into
 * buffers the caller owns, with the AES-256-GCM of the OpenSSL inside Node itself. The addon links no
 * libcrypto of its own: EVP_* resolve against the node binary when it loads (binding.gyp binds them
 * at load, so a runtime without them refuses the addon instead of crashing on the first call).
 *
 * Why it is hand-written: on the Xeon (VAES) the codec is measured on, node:crypto's Cipher.update
 * spent only ~40 % of its time in AES-GCM; ~19 % went on zero-filling a fresh output buffer per call,
 * 4–8 % on copying it again, and a cipher object had to be built per block because node:crypto can
 * neither encrypt into a caller's buffer nor give a GCM context a new IV. One thread of it reached
 * 35–45 % of `openssl speed`. Here each thread keeps one EVP_CIPHER_CTX, keys it once per batch,
 * changes only the IV per block, and writes every byte once, where the stream needs it.
 * Figures: docs/benchmarks.md; the format: docs/PROTOCOL.md §2.
 *
 * The framing is exactly block-cipher.ts's: block i of a batch is sealed with
 * IV = u32le(seq) ‖ 12-byte iv (GCM hashes the 16 bytes down), AAD = u32le(seq), a 16-byte tag, and
 * framed as FF FF FF FF ‖ u32le seq ‖ u32le (length + 16) ‖ u32le crc ‖ ciphertext ‖ tag. The CRC
 * field is left 0 by seal and not checked by open: the caller computes and checks CRC-32 with a SIMD
 * implementation that is several times faster than AES-GCM (native-block-cipher.ts).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define KEY_LENGTH 32
#define BASE_IV_LENGTH 12
#define HEADER_LENGTH 16
#define TAG_LENGTH 16
#define REGISTRATION_CODE 0xffffffffu

/* How open() stopped; mirrored by native-block-cipher.ts. */
enum open_fault {
  OPEN_OK = 0,          /* `count` frames opened, or the input ended exactly after the last whole frame */
  OPEN_INCOMPLETE = 1,  /* the next frame does not fit in the input (the caller joins a straddling frame) */
  OPEN_BAD_HEADER = 2,  /* no registration code, or a length below the tag's */
  OPEN_TAMPERED = 3,    /* GCM tag mismatch: wrong key or altered data; its plaintext was wiped */
  OPEN_NO_ROOM = 4,     /* the output buffer is too small (a caller bug) */
};

/* One cipher context per JavaScript thread (each worker loads its own instance of the addon). */
typedef struct {
  EVP_CIPHER_CTX *ctx;
} instance_t;

static void put_u32le(uint8_t *to, uint32_t value) {
  to[0] = (uint8_t)value;
  to[1] = (uint8_t)(value >> 8);
  to[2] = (uint8_t)(value >> 16);
  to[3] = (uint8_t)(value >> 24);
}

static uint32_t get_u32le(const uint8_t *from) {
  return (uint32_t)from[0] | (uint32_t)from[1] << 8 | (uint32_t)from[2] << 16 | (uint32_t)from[3] << 24;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_MSC4016_NATIVE", message);
  return NULL;
}

/* The bytes of a Uint8Array (Buffers are Uint8Arrays). */
static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *pointer;
  if (napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = pointer;
  return 1;
}

/* Whether two byte ranges share memory: OpenSSL would encrypt or decrypt partly over its own input. */
static int overlapping(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length) {
  return a_length > 0 && b_length > 0 && a < b + b_length && b < a + a_length;
}

static int number_of(napi_env env, napi_value value, double *number) {
  return napi_get_value_double(env, value, number) == napi_ok;
}

/*
 * Keys the thread's context for one batch. The IV length must be set before any IV is given: 16
 * bytes, not GCM's usual 12, because MSC4016 puts the sequence number in front of the 12-byte iv.
 */
static EVP_CIPHER_CTX *keyed(napi_env env, int encrypting, const uint8_t *key) {
  instance_t *instance;
  if (napi_get_instance_data(env, (void **)&instance) != napi_ok || instance == NULL) return NULL;
  EVP_CIPHER_CTX *ctx = instance->ctx;
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypting) != 1) return NULL;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 4 + BASE_IV_LENGTH, NULL) != 1) return NULL;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, encrypting) != 1) return NULL;
  return ctx;
}

/* Starts block `sequence`: its IV, then its AAD (the same four bytes the IV starts with). */
static int start_block(EVP_CIPHER_CTX *ctx, int encrypting, const uint8_t *base_iv, uint32_t sequence) {
  uint8_t iv[4 + BASE_IV_LENGTH];
  int ignored;
  put_u32le(iv, sequence);
  memcpy(iv + 4, base_iv, BASE_IV_LENGTH);
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, encrypting) != 1) return 0;
  return EVP_CipherUpdate(ctx, NULL, &ignored, iv, 4) == 1;
}

/*
 * seal(key, iv, firstSequence, plaintext, blockSize, frames, framing): encrypts `plaintext` as blocks
 * of `blockSize` bytes (the last may be shorter) numbered from `firstSequence` into `frames`, laid out
 * as the stream carries them, and copies each frame's header and tag into `framing` (32 bytes per
 * block, header at 32i, tag at 32i + 16). CRC fields are left 0.
 */
static napi_value seal_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  uint8_t *key, *base_iv, *plaintext, *frames, *framing;
  size_t key_length, iv_length, plaintext_length, frames_length, framing_length;
  double first_sequence, block_size;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7 ||
      !bytes_of(env, argv[0], &key, &key_length) || !bytes_of(env, argv[1], &base_iv, &iv_length) ||
      !number_of(env, argv[2], &first_sequence) || !bytes_of(env, argv[3], &plaintext, &plaintext_length) ||
      !number_of(env, argv[4], &block_size) || !bytes_of(env, argv[5], &frames, &frames_length) ||
      !bytes_of(env, argv[6], &framing, &framing_length)) {
    return fail(env, "seal(key, iv, firstSequence, plaintext, blockSize, frames, framing)");
  }
  if (key_length != KEY_LENGTH || iv_length != BASE_IV_LENGTH) return fail(env, "a 32-byte key and a 12-byte iv");
  if (!(block_size >= 1 && block_size <= INT_MAX - TAG_LENGTH) || block_size != (double)(size_t)block_size) {
    return fail(env, "the block size must be a whole number of bytes");
  }
  size_t block = (size_t)block_size;
  size_t blocks = plaintext_length / block + (plaintext_length % block != 0);
  /* Sequence numbers never wrap: a wrapped number would reuse a block IV under the same key. */
  if (!(first_sequence >= 0) || first_sequence + (double)blocks > 4294967296.0 ||
      first_sequence != (double)(uint32_t)first_sequence) {
    return fail(env, "the batch runs past 2^32 blocks");
  }
  if (frames_length < plaintext_length + blocks * (HEADER_LENGTH + TAG_LENGTH) ||
      framing_length < blocks * (HEADER_LENGTH + TAG_LENGTH)) {
    return fail(env, "the output buffers are too small for the batch");
  }
  if (overlapping(plaintext, plaintext_length, frames, frames_length) ||
      overlapping(plaintext, plaintext_length, framing, framing_length) ||
      overlapping(frames, frames_length, framing, framing_length)) {
    return fail(env, "the plaintext and the output buffers must not share memory");
  }
  EVP_CIPHER_CTX *ctx = keyed(env, 1, key);
  if (ctx == NULL) return fail(env, "OpenSSL refused the AES-256-GCM key");
  uint8_t *frame = frames;
  for (size_t i = 0; i < blocks; i++) {
    uint32_t sequence = (uint32_t)first_sequence + (uint32_t)i;
    size_t length = i + 1 < blocks ? block : plaintext_length - i * block;
    uint8_t *ciphertext = frame + HEADER_LENGTH;
    int written, final_written;
    if (!start_block(ctx, 1, base_iv, sequence) ||
        EVP_EncryptUpdate(ctx, ciphertext, &written, plaintext + i * block, (int)length) != 1 ||
        EVP_EncryptFinal_ex(ctx, ciphertext + written, &final_written) != 1 ||
        (size_t)(written + final_written) != length ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, ciphertext + length) != 1) {
      return fail(env, "OpenSSL failed to seal a block");
    }
    put_u32le(frame, REGISTRATION_CODE);
    put_u32le(frame + 4, sequence);
    put_u32le(frame + 8, (uint32_t)(length + TAG_LENGTH));
    put_u32le(frame + 12, 0);
    memcpy(framing + i * 32, frame, HEADER_LENGTH);
    memcpy(framing + i * 32 + HEADER_LENGTH, ciphertext + length, TAG_LENGTH);
    frame += HEADER_LENGTH + length + TAG_LENGTH;
  }
  return NULL;
}

/*
 * open(key, iv, input, count, output, state): authenticates and decrypts up to `count` frames laid end
 * to end from the start of `input`, each block's plaintext appended to `output`, and stops at the
 * first frame it cannot open. A block is counted and its plaintext kept only after its tag verified;
 * the bytes of a block whose tag failed are zeroed before returning, so no unauthenticated plaintext
 * ever reaches JavaScript. `state` (a Uint32Array of 4) receives: frames opened, input bytes they
 * took, output bytes written, and an open_fault.
 */
static napi_value open_frames(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  uint8_t *key, *base_iv, *input, *output;
  size_t key_length, iv_length, input_length, output_length, state_length;
  double count;
  napi_typedarray_type state_type;
  void *state_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 ||
      !bytes_of(env, argv[0], &key, &key_length) || !bytes_of(env, argv[1], &base_iv, &iv_length) ||
      !bytes_of(env, argv[2], &input, &input_length) || !number_of(env, argv[3], &count) ||
      !bytes_of(env, argv[4], &output, &output_length) ||
      napi_get_typedarray_info(env, argv[5], &state_type, &state_length, &state_data, NULL, NULL) != napi_ok ||
      state_type != napi_uint32_array || state_length < 4 || !(count >= 0)) {
    return fail(env, "open(key, iv, input, count, output, state: Uint32Array(4))");
  }
  if (key_length != KEY_LENGTH || iv_length != BASE_IV_LENGTH) return fail(env, "a 32-byte key and a 12-byte iv");
  if (input_length > UINT32_MAX || output_length > UINT32_MAX) return fail(env, "a batch is below 4 GiB");
  /* A tag is checked over the input while the output is written: they must be different memory. */
  if (overlapping(input, input_length, output, output_length)) {
    return fail(env, "the input and the output must not share memory");
  }
  EVP_CIPHER_CTX *ctx = keyed(env, 0, key);
  if (ctx == NULL) return fail(env, "OpenSSL refused the AES-256-GCM key");
  uint32_t *state = state_data;
  size_t opened = 0, consumed = 0, written = 0;
  enum open_fault fault = OPEN_OK;
  while (opened < count && consumed < input_length) {
    const uint8_t *frame = input + consumed;
    size_t available = input_length - consumed;
    if (available < HEADER_LENGTH) {
      fault = OPEN_INCOMPLETE;
      break;
    }
    uint32_t sequence = get_u32le(frame + 4);
    size_t ciphertext_length = get_u32le(frame + 8);
    if (get_u32le(frame) != REGISTRATION_CODE || ciphertext_length < TAG_LENGTH) {
      fault = OPEN_BAD_HEADER;
      break;
    }
    if (available - HEADER_LENGTH < ciphertext_length) {
      fault = OPEN_INCOMPLETE;
      break;
    }
    size_t length = ciphertext_length - TAG_LENGTH;
    if (output_length - written < length || length > INT_MAX) {
      fault = OPEN_NO_ROOM;
      break;
    }
    uint8_t *plaintext = output + written;
    int update_written = 0, final_written = 0;
    int authentic = start_block(ctx, 0, base_iv, sequence) &&
                    EVP_DecryptUpdate(ctx, plaintext, &update_written, frame + HEADER_LENGTH, (int)length) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH,
                                        (void *)(frame + HEADER_LENGTH + length)) == 1 &&
                    EVP_DecryptFinal_ex(ctx, plaintext + update_written, &final_written) == 1 &&
                    (size_t)(update_written + final_written) == length;
    if (!authentic) {
      memset(plaintext, 0, length);
      fault = OPEN_TAMPERED;
      break;
    }
    opened++;
    consumed += HEADER_LENGTH + ciphertext_length;
    written += length;
  }
  state[0] = (uint32_t)opened;
  state[1] = (uint32_t)consumed;
  state[2] = (uint32_t)written;
  state[3] = fault;
  return NULL;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_t *instance = data;
  EVP_CIPHER_CTX_free(instance->ctx);
  free(instance);
}

NAPI_MODULE_INIT() {
  instance_t *instance = malloc(sizeof *instance);
  if (instance == NULL) return NULL;
  instance->ctx = EVP_CIPHER_CTX_new();
  if (instance->ctx == NULL || napi_set_instance_data(env, instance, free_instance, NULL) != napi_ok) {
    EVP_CIPHER_CTX_free(instance->ctx);
    free(instance);
    return NULL;
  }
  napi_property_descriptor properties[] = {
      {"seal", NULL, seal_blocks, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, open_frames, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openssl", NULL, NULL, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  /* Which OpenSSL the EVP calls resolved to, for the line that says which cipher is active. */
  if (napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &properties[2].value) != napi_ok ||
      napi_define_properties(env, exports, 3, properties) != napi_ok) {
    return NULL;
  }
  return exports;
}
