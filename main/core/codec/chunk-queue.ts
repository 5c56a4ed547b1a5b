/**
 * A FIFO of received chunks that can be peeked at any offset and consumed by length, copying only
 * when a requested span crosses chunk boundaries. Frames rarely line up with network chunks; this
 * avoids re-copying a growing buffer on every arrival.
 */
export class ChunkQueue {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Copies `length` bytes starting `offset` bytes in, without consuming them. */
  peek(offset: number, length: number): Buffer {
    if (offset + length > this.length) throw new RangeError('peek past the end of the queue');
    const out = Buffer.allocUnsafe(length);
    let skip = offset + this.head;
    let written = 0;
    for (const chunk of this.chunks) {
      if (written === length) break;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const part = chunk.subarray(skip, Math.min(chunk.length, skip + length - written));
      out.set(part, written);
      written += part.length;
      skip = 0;
    }
    return out;
  }

  /** Removes and returns the first `length` bytes, as a view when they sit in one chunk. */
  take(length: number): Buffer {
    if (length > this.length) throw new RangeError('take past the end of the queue');
    const first = this.chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length - this.head >= length) {
      out = first.subarray(this.head, this.head + length);
    } else {
      out = this.peek(0, length);
    }
    this.discard(length);
    return out;
  }

  discard(length: number): void {
    this.length -= length;
    let remaining = length;
    while (remaining > 0) {
      const first = this.chunks[0]!;
      const available = first.length - this.head;
      if (available > remaining) {
        this.head += remaining;
        return;
      }
      remaining -= available;
      this.chunks.shift();
      this.head = 0;
    }
  }
}
