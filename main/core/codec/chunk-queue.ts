/**
 * A FIFO of received chunks that can be peeked at any offset and consumed by length without
 * copying: frames rarely line up with network chunks, and the cipher stage copies what it needs
 * exactly once, so this stage hands out views. Consumed chunks are dropped in bulk, so a stream of
 * tiny chunks costs linear, not quadratic, time.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  /** Index of the first chunk still (partly) unconsumed. */
  private first = 0;
  /** Bytes of that chunk already consumed. */
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** How many of the next bytes sit in one chunk, so `takeContiguous` of up to that many copies nothing. */
  get contiguousLength(): number {
    return this.length === 0 ? 0 : this.chunks[this.first]!.length - this.head;
  }

  /** `length` bytes starting `offset` bytes in, without consuming them: a view when they sit in one chunk. */
  peek(offset: number, length: number): Buffer {
    const pieces = this.views(offset, length);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
  }

  /** Removes the first `length` bytes and returns them as views into the chunks they sit in, in order. */
  take(length: number): Buffer[] {
    const pieces = this.views(0, length);
    this.discard(length);
    return pieces;
  }

  /** Removes the first `length` bytes as one buffer: a view when they sit in one chunk, else a copy of them alone. */
  takeContiguous(length: number): Buffer {
    const bytes = this.peek(0, length);
    this.discard(length);
    return bytes;
  }

  /** Removes the first `length` bytes, copying them to the start of `target`; returns the copy. */
  takeInto(target: Buffer, length: number): Buffer {
    let offset = 0;
    for (const piece of this.views(0, length)) offset += piece.copy(target, offset);
    this.discard(length);
    return target.subarray(0, length);
  }

  discard(length: number): void {
    if (length > this.length) throw new RangeError('discard past the end of the queue');
    this.length -= length;
    let remaining = length;
    while (remaining > 0) {
      const available = this.chunks[this.first]!.length - this.head;
      if (available > remaining) {
        this.head += remaining;
        break;
      }
      remaining -= available;
      this.first++;
      this.head = 0;
    }
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  private views(offset: number, length: number): Buffer[] {
    if (offset + length > this.length) throw new RangeError('read past the end of the queue');
    const pieces: Buffer[] = [];
    let skip = offset + this.head;
    for (let index = this.first; length > 0; index++) {
      const chunk = this.chunks[index]!;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const piece = chunk.subarray(skip, Math.min(chunk.length, skip + length));
      pieces.push(piece);
      length -= piece.length;
      skip = 0;
    }
    return pieces;
  }
}
