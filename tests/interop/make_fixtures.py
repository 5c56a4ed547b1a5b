#!/usr/bin/env python3
"""Deterministically regenerate tests/fixtures/msc4016/ with msc4016_reference.py.

Keys, IVs and plaintexts are derived from fixed seeds, so re-running produces
byte-identical files.  Every fixture is decrypted again afterwards as a check,
and the v2 ciphertexts are also checked against a keystream built block by block
with AES-ECB (independent of the CTR split used by the reference module).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
import sys
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import msc4016_reference as ref  # noqa: E402

OUT = HERE.parent / "fixtures" / "msc4016"
VARIABLE = [1, 100, 4096, 65536, 7, 32768, 3, 16384, 12345]


def derived(label: str, name: str, n: int) -> bytes:
    return hashlib.sha256(f"slipstream-fixture/{label}/{name}".encode()).digest()[:n]


def plaintext(name: str, size: int) -> bytes:
    return random.Random(f"plain/{name}").randbytes(size)


# (name, size, options, description)
V3_FIXTURES = [
    ("v3-empty", 0, {}, "empty file: zero-byte ciphertext (what the upstream reference emits)"),
    ("v3-empty-magic", 0, {"magic_on_empty": True}, "empty file: magic bytes only, no frames"),
    ("v3-one-byte", 1, {"block_size": 32768}, "single 1-byte block"),
    ("v3-tiny-blocks", 64, {"block_size": 1}, "64 blocks of 1 byte each"),
    ("v3-const-partial", 2 * 32768 + 4464, {"block_size": 32768},
     "constant 32 KiB blocks, partial last block"),
    ("v3-const-exact", 3 * 32768, {"block_size": 32768},
     "constant 32 KiB blocks exactly filling the file"),
    ("v3-variable", 150000, {"chunks": VARIABLE},
     f"variable block sizes {VARIABLE} cycled (no block_size field)"),
    ("v3-variable-crc-zero", 80000, {"chunks": [7, 65536, 1, 4096, 100], "zero_crc": True},
     "variable block sizes with all CRC fields 0 (upstream reference style)"),
    ("v3-hashes-empty", 40000, {"block_size": 16384, "hashes_empty": True},
     'constant 16 KiB blocks, "hashes": {} present in the file block'),
    ("v3-reference-style", 70000, {"chunks": [32768], "zero_crc": True, "hashes_empty": True},
     'upstream reference style: 32 KiB blocks, CRC 0, "hashes": {}, no block_size field'),
]

V2_FIXTURES = [
    ("v2-empty", 0, bytes(8), "v2 empty file"),
    ("v2-basic", 200000, bytes(8), "v2 file, IV = 8 random bytes + 8 zero bytes"),
    ("v2-counter-wrap", 5003, bytes.fromhex("FFFFFFFFFFFFFFF0"),
     "v2 with low IV half 0xFFFFFFFFFFFFFFF0: the 64-bit counter wraps to 0 after "
     "16 blocks (256 bytes) without carrying into the high half"),
]


def make_v3(name: str, size: int, opt: dict) -> tuple[bytes, dict, list[int]]:
    key, iv = derived("key", name, 32), derived("iv", name, 12)
    plain = plaintext(name, size)
    chunks = opt.get("chunks")
    sizes = itertools.cycle(chunks) if chunks else itertools.repeat(opt.get("block_size", ref.DEFAULT_BLOCK))
    out = io.BytesIO()
    blocks = ref.encrypt_v3(io.BytesIO(plain), out, key, iv, sizes,
                            zero_crc=opt.get("zero_crc", False),
                            magic_on_empty=opt.get("magic_on_empty", False))
    info = ref.v3_info(key, iv, opt.get("block_size"), opt.get("hashes_empty", False))
    return out.getvalue(), info, blocks


def make_v2(name: str, size: int, low: bytes) -> tuple[bytes, dict]:
    key, iv = derived("key", name, 32), derived("iv", name, 8) + low
    out = io.BytesIO()
    info = ref.encrypt_v2(io.BytesIO(plaintext(name, size)), out, key, iv)
    return out.getvalue(), info


def ecb_keystream(key: bytes, iv16: bytes, n: int) -> bytes:
    """Keystream block j = AES(high8 || u64be((low + j) mod 2^64))."""
    high, low = iv16[:8], int.from_bytes(iv16[8:], "big")
    blocks = b"".join(high + ((low + j) % 2**64).to_bytes(8, "big") for j in range(-(-n // 16)))
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (enc.update(blocks) + enc.finalize())[:n]


def check(entry: dict) -> None:
    name = entry["name"]
    plain = (OUT / f"{name}.plain").read_bytes()
    cipher = (OUT / f"{name}.cipher").read_bytes()
    info = json.loads((OUT / f"{name}.json").read_text())
    out = io.BytesIO()
    if entry["format"] == "v3":
        key, iv = ref.parse_key(info, "A256GCM", 12, ref.V3_VERSION)
        ref.decrypt_v3(io.BytesIO(cipher), out, key, iv, expect_size=len(plain))
    else:
        ref.decrypt_v2(io.BytesIO(cipher), out, info, expect_size=len(plain))
        key = ref.b64_decode(info["key"]["k"], True, "k")
        iv = ref.b64_decode(info["iv"], False, "iv")
        stream = ecb_keystream(key, iv, len(plain))
        assert bytes(a ^ b for a, b in zip(plain, stream)) == cipher, f"{name}: ECB keystream mismatch"
    assert out.getvalue() == plain, f"{name}: round trip mismatch"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []

    def emit(name: str, fmt: str, plain: bytes, cipher: bytes, info: dict,
             blocks: list[int] | None, description: str) -> None:
        (OUT / f"{name}.plain").write_bytes(plain)
        (OUT / f"{name}.cipher").write_bytes(cipher)
        (OUT / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
        manifest.append({"name": name, "format": fmt, "size": len(plain),
                         "description": description, "blockSizes": blocks})

    for name, size, opt, desc in V3_FIXTURES:
        cipher, info, blocks = make_v3(name, size, opt)
        emit(name, "v3", plaintext(name, size), cipher, info, blocks, desc)
    for name, size, low, desc in V2_FIXTURES:
        cipher, info = make_v2(name, size, low)
        emit(name, "v2", plaintext(name, size), cipher, info, None, desc)

    keep = {"manifest.json"} | {f"{m['name']}.{ext}" for m in manifest for ext in ("plain", "cipher", "json")}
    for stale in OUT.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    for entry in manifest:
        check(entry)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(manifest)} fixtures ({total} bytes) to {OUT}")


if __name__ == "__main__":
    main()
