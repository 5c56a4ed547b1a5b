#!/usr/bin/env python3
"""Independent reference implementation of MSC4016 v3 streams and Matrix v2 attachments.

Written from the format specification only (see tests/interop/README.md); it must not
share code or structure with the project's TypeScript codec, which it is used to test.
Depends only on the standard library and the `cryptography` package.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import itertools
import json
import os
import struct
import sys
import zlib
from typing import BinaryIO, Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

V3_VERSION = "org.matrix.msc4016.v3"
MAGIC = bytes.fromhex("4D584303")  # stream starts with "MXC\x03"
REGISTRATION = b"\xff\xff\xff\xff"  # every frame starts with FF FF FF FF
FRAME_HEADER = struct.Struct("<4sIII")  # code, u32le seq, u32le length, u32le CRC32
TAG_LEN = 16  # GCM tag is 128 bits and is counted in the frame length
MAX_BLOCK = 16 * 1024 * 1024  # plaintext per block; length > 16 MiB + 16 is implausible
DEFAULT_BLOCK = 32768
BLOCK_SIZE_FIELD = "org.slipstream.block_size"


class FormatError(Exception):
    """Any rejection of the input; the CLI turns it into exit status 1."""


# ---------------------------------------------------------------- helpers

def b64_std(data: bytes) -> str:
    """Standard base64 alphabet, padding removed (Matrix 'unpadded base64')."""
    return base64.b64encode(data).decode().rstrip("=")


def b64_url(data: bytes) -> str:
    """base64url, padding removed (JWK 'k')."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64_decode(text: object, urlsafe: bool, what: str) -> bytes:
    """Decode base64 with optional padding; the alphabet is checked."""
    if not isinstance(text, str):
        raise FormatError(f"{what} is not a string")
    body = text.rstrip("=")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4),
                                altchars=b"-_" if urlsafe else None, validate=True)
    except ValueError as exc:
        raise FormatError(f"{what} is not valid base64: {exc}") from None


def jwk(key: bytes, alg: str) -> dict:
    return {"kty": "oct", "alg": alg, "k": b64_url(key),
            "key_ops": ["encrypt", "decrypt"], "ext": True}


def read_upto(src: BinaryIO, n: int) -> bytes:
    """Read n bytes, fewer only at end of input."""
    parts, got = [], 0
    while got < n:
        part = src.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def parse_key(info: dict, alg: str, iv_len: int, version: str) -> tuple[bytes, bytes]:
    """Validate the `file` block's v/key/iv and return (key, iv)."""
    if info.get("v") != version:
        raise FormatError(f"unexpected version {info.get('v')!r}, want {version!r}")
    k = info.get("key")
    if not isinstance(k, dict) or k.get("kty") != "oct" or k.get("alg") != alg:
        raise FormatError(f"key must be a JWK with kty=oct, alg={alg}")
    if "key_ops" in k and "decrypt" not in (k.get("key_ops") or []):
        raise FormatError("key_ops does not allow decrypt")
    key = b64_decode(k.get("k"), True, "key.k")
    iv = b64_decode(info.get("iv"), False, "iv")
    if len(key) != 32:
        raise FormatError(f"key is {len(key)} bytes, want 32")
    if len(iv) != iv_len:
        raise FormatError(f"iv is {len(iv)} bytes, want {iv_len}")
    return key, iv


# ---------------------------------------------------------------- v3

def block_nonce_aad(seq: int, iv12: bytes) -> tuple[bytes, bytes]:
    """Block i: GCM IV = u32le(i) || iv12 (16 bytes), AAD = u32le(i)."""
    seq_le = struct.pack("<I", seq)
    return seq_le + iv12, seq_le


def encrypt_v3(src: BinaryIO, dst: BinaryIO, key: bytes, iv12: bytes,
               block_sizes: Iterable[int], zero_crc: bool = False,
               magic_on_empty: bool = False) -> list[int]:
    """Write a v3 stream; returns the plaintext size of every block written.

    Empty input gives a zero-byte stream (like the upstream reference) unless
    magic_on_empty, which gives the 4 magic bytes only; both are valid.
    """
    aes, written = AESGCM(key), []
    for size in block_sizes:
        if not 1 <= size <= MAX_BLOCK:
            raise FormatError(f"block size {size} outside 1..{MAX_BLOCK}")
        plain = read_upto(src, size)
        if not plain:  # never emit a zero-length block
            break
        seq = len(written)
        if seq > 0xFFFFFFFF:
            raise FormatError("too many blocks for a u32 sequence number")
        if seq == 0:
            dst.write(MAGIC)
        nonce, aad = block_nonce_aad(seq, iv12)
        ct = aes.encrypt(nonce, plain, aad)  # ciphertext || 16-byte tag
        head = REGISTRATION + struct.pack("<II", seq, len(ct))
        # CRC32 covers the first 12 header bytes and the ciphertext+tag; 0 = absent.
        crc = 0 if zero_crc else zlib.crc32(head + ct)
        dst.write(head + struct.pack("<I", crc) + ct)
        written.append(len(plain))
    if not written and magic_on_empty:
        dst.write(MAGIC)
    return written


def v3_info(key: bytes, iv12: bytes, block_size: int | None = None,
            hashes_empty: bool = False) -> dict:
    info = {"v": V3_VERSION, "key": jwk(key, "A256GCM"), "iv": b64_std(iv12)}
    if hashes_empty:
        info["hashes"] = {}
    if block_size is not None:
        info[BLOCK_SIZE_FIELD] = block_size
    return info


def decrypt_v3(src: BinaryIO, dst: BinaryIO, key: bytes, iv12: bytes,
               expect_size: int | None = None) -> int:
    """Verify and decrypt a v3 stream; returns the plaintext size."""
    aes, total, seq = AESGCM(key), 0, 0
    magic = read_upto(src, len(MAGIC))
    if magic and magic != MAGIC:  # zero bytes = empty file; otherwise magic required
        raise FormatError(f"bad magic {magic.hex()}")
    while magic:
        head = read_upto(src, FRAME_HEADER.size)
        if not head:
            break  # clean end of stream on a frame boundary
        if len(head) < FRAME_HEADER.size:
            raise FormatError(f"trailing partial frame header ({len(head)} bytes) after block {seq}")
        code, got_seq, length, crc = FRAME_HEADER.unpack(head)
        if code != REGISTRATION:
            raise FormatError(f"bad registration code {code.hex()} at block {seq}")
        if got_seq != seq:  # sequence numbers start at 0 and increase by exactly 1
            raise FormatError(f"sequence number {got_seq}, expected {seq}")
        if not TAG_LEN <= length <= MAX_BLOCK + TAG_LEN:
            raise FormatError(f"implausible ciphertext length {length} at block {seq}")
        ct = read_upto(src, length)
        if len(ct) < length:
            raise FormatError(f"trailing partial frame: block {seq} has {len(ct)} of {length} bytes")
        if crc != 0 and crc != zlib.crc32(head[:12] + ct):
            raise FormatError(f"CRC32 mismatch at block {seq}")
        nonce, aad = block_nonce_aad(seq, iv12)
        try:
            plain = aes.decrypt(nonce, ct, aad)
        except InvalidTag:
            raise FormatError(f"GCM authentication failed at block {seq}") from None
        total += len(plain)
        if expect_size is not None and total > expect_size:
            raise FormatError(f"plaintext exceeds expected size {expect_size}")
        dst.write(plain)
        seq += 1
    if expect_size is not None and total != expect_size:
        raise FormatError(f"plaintext is {total} bytes, expected {expect_size}")
    return total


# ---------------------------------------------------------------- v2

class CtrV2:
    """AES-256-CTR whose counter is only the low 8 bytes of the IV (big-endian),
    wrapping modulo 2^64 without carrying into the high 8 bytes.

    OpenSSL's CTR carries across all 128 bits, so the stream is split at the
    wrap point: before it both agree; after it we restart at high8 || 0^64.
    """

    def __init__(self, key: bytes, iv16: bytes):
        low = int.from_bytes(iv16[8:], "big")
        self.until_wrap = (2**64 - low) * 16  # keystream bytes before the wrap
        self.first = Cipher(algorithms.AES(key), modes.CTR(iv16)).encryptor()
        self.after = Cipher(algorithms.AES(key), modes.CTR(iv16[:8] + bytes(8))).encryptor()

    def update(self, data: bytes) -> bytes:
        n = min(len(data), self.until_wrap)
        self.until_wrap -= n
        return self.first.update(data[:n]) + (self.after.update(data[n:]) if n < len(data) else b"")


def encrypt_v2(src: BinaryIO, dst: BinaryIO, key: bytes, iv16: bytes) -> dict:
    """Encrypt; returns the `file` block with the SHA-256 of the ciphertext."""
    ctr, sha = CtrV2(key, iv16), hashlib.sha256()
    while chunk := src.read(1 << 20):
        ct = ctr.update(chunk)
        sha.update(ct)
        dst.write(ct)
    return {"v": "v2", "key": jwk(key, "A256CTR"), "iv": b64_std(iv16),
            "hashes": {"sha256": b64_std(sha.digest())}}


def decrypt_v2(src: BinaryIO, dst: BinaryIO, info: dict, expect_size: int | None = None) -> int:
    """Decrypt; the SHA-256 of the ciphertext must match hashes.sha256."""
    key, iv16 = parse_key(info, "A256CTR", 16, "v2")
    hashes = info.get("hashes")
    if not isinstance(hashes, dict) or "sha256" not in hashes:
        raise FormatError("v2 requires hashes.sha256")
    want = b64_decode(hashes["sha256"], False, "hashes.sha256")
    ctr, sha, total = CtrV2(key, iv16), hashlib.sha256(), 0
    while chunk := src.read(1 << 20):
        sha.update(chunk)
        total += len(chunk)
        dst.write(ctr.update(chunk))
    if sha.digest() != want:  # callers only keep the output if this passes
        raise FormatError("SHA-256 of ciphertext does not match hashes.sha256")
    if expect_size is not None and total != expect_size:
        raise FormatError(f"plaintext is {total} bytes, expected {expect_size}")
    return total


# ---------------------------------------------------------------- CLI

@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[BinaryIO]:
    """Write to a temp file and rename only on success, so failures leave no <out>."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str, obj: dict) -> None:
    with atomic_output(path) as f:
        f.write((json.dumps(obj, indent=2) + "\n").encode())


def load_info(path: str) -> dict:
    with open(path, "rb") as f:
        info = json.load(f)
    if isinstance(info, dict) and isinstance(info.get("file"), dict):
        info = info["file"]  # also accept a whole event content
    if not isinstance(info, dict):
        raise FormatError("info JSON is not an object")
    return info


def hex_arg(text: str | None, length: int, what: str) -> bytes | None:
    if text is None:
        return None
    raw = bytes.fromhex(text)
    if len(raw) != length:
        raise FormatError(f"{what} must be {length} bytes")
    return raw


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("encrypt-v3", "decrypt-v3", "encrypt-v2", "decrypt-v2"):
        s = sub.add_parser(name)
        s.add_argument("input")
        s.add_argument("output")
        s.add_argument("--info", required=True, help="file block JSON (written by encrypt, read by decrypt)")
        if name.startswith("encrypt"):
            s.add_argument("--key-hex")
            s.add_argument("--iv-hex")
        else:
            s.add_argument("--expect-size", type=int)
        if name == "encrypt-v3":
            g = s.add_mutually_exclusive_group()
            g.add_argument("--block-size", type=int)
            g.add_argument("--chunks", help="comma-separated block sizes, cycled")
            s.add_argument("--zero-crc", action="store_true")
            s.add_argument("--hashes-empty", action="store_true", help='write "hashes": {}')
            s.add_argument("--magic-on-empty", action="store_true")
    a = p.parse_args(argv)
    try:
        if a.cmd.startswith("encrypt"):
            v3 = a.cmd == "encrypt-v3"
            key = hex_arg(a.key_hex, 32, "--key-hex") or os.urandom(32)
            # v2 senders use 8 random bytes then an all-zero 64-bit counter.
            iv = hex_arg(a.iv_hex, 12 if v3 else 16, "--iv-hex") or (
                os.urandom(12) if v3 else os.urandom(8) + bytes(8))
            with open(a.input, "rb") as src, atomic_output(a.output) as dst:
                if v3:
                    chunks = [int(c) for c in a.chunks.split(",")] if a.chunks else None
                    sizes = itertools.cycle(chunks) if chunks else itertools.repeat(a.block_size or DEFAULT_BLOCK)
                    encrypt_v3(src, dst, key, iv, sizes, a.zero_crc, a.magic_on_empty)
                    info = v3_info(key, iv, None if chunks else a.block_size or DEFAULT_BLOCK, a.hashes_empty)
                else:
                    info = encrypt_v2(src, dst, key, iv)
            write_json(a.info, info)
        else:
            info = load_info(a.info)
            with open(a.input, "rb") as src, atomic_output(a.output) as dst:
                if a.cmd == "decrypt-v3":
                    key, iv = parse_key(info, "A256GCM", 12, V3_VERSION)
                    decrypt_v3(src, dst, key, iv, a.expect_size)
                else:
                    decrypt_v2(src, dst, info, a.expect_size)
    except Exception as exc:  # every failure: exit 1 with a one-line reason
        reason = str(exc).replace("\n", " ") or type(exc).__name__
        print(f"{a.cmd}: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
