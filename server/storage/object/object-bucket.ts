import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import type { ObjectStorageConfig } from '../../config.js';

/**
 * The media server's view of one bucket: whole-object writes, ranged reads, batch deletes, listings
 * and presigned PUTs (MSC3870), over the AWS SDK for JavaScript v3.
 *
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: since SDK 3.729 every PutObject carries a CRC-32 by
 * default, and a presigned URL carries the CRC-32 of an *empty* body, so every PUT to it fails (checked
 * against SeaweedFS). Parts are small and their integrity is the TCP and TLS layers' job here, as for
 * the file store's writes.
 */
export class ObjectBucket {
  readonly client: S3Client;
  private readonly presignClient: S3Client;

  constructor(readonly config: ObjectStorageConfig['s3']) {
    const credentials =
      config.accessKeyId && config.secretAccessKey
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
        : undefined;
    const common = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
      ...(credentials && { credentials }),
    };
    this.client = new S3Client({ ...common, ...(config.endpoint && { endpoint: config.endpoint }) });
    const publicEndpoint = config.publicEndpoint ?? config.endpoint;
    this.presignClient = new S3Client({ ...common, ...(publicEndpoint && { endpoint: publicEndpoint }) });
  }

  /** Fails with a sentence naming the store when the bucket cannot be reached, found or used with these credentials. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (error) {
      throw new Error(`the object store ${this.describe()} ${whyUnusable(error)}`, { cause: error });
    }
  }

  describe(): string {
    return `(bucket "${this.config.bucket}" at ${this.config.endpoint ?? `AWS S3 ${this.config.region}`})`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.config.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
    );
  }

  /** [start, endExclusive) of an object, as a stream. */
  async getRange(key: string, start: number, endExclusive: number, signal?: AbortSignal): Promise<Readable> {
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: this.config.bucket, Key: key, Range: `bytes=${start}-${endExclusive - 1}` }),
      signal ? { abortSignal: signal } : {},
    );
    return response.Body as Readable;
  }

  /** The object's size, or undefined when there is none. */
  async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the objects (missing ones are fine); returns the keys that could not be deleted. */
  async deleteMany(keys: readonly string[]): Promise<string[]> {
    const failed: string[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.config.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      for (const error of result.Errors ?? []) if (error.Key && error.Code !== 'NoSuchKey') failed.push(error.Key);
    }
    return failed;
  }

  /** Every object under `prefix`, with its last modification time, a page at a time. */
  async *list(prefix: string): AsyncIterable<{ key: string; lastModified: number }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, lastModified: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * A presigned PUT of `key`, valid `expiresInSeconds`, and the headers the client must send with it
   * (they are signed). `If-None-Match: *` makes the store refuse any PUT once the object exists (a
   * conditional write, 412): content, once uploaded, cannot be replaced through the same URL. With
   * `size`, Content-Length is signed too, so the store refuses a body of any other length.
   */
  async presignPut(
    key: string,
    expiresInSeconds: number,
    size?: number,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const command = new PutObjectCommand({
      Bucket: this.config.bucket,
      Key: key,
      IfNoneMatch: '*',
      ...(size !== undefined && { ContentLength: size }),
    });
    const signed = ['if-none-match', ...(size !== undefined ? ['content-length'] : [])];
    const url = await getSignedUrl(this.presignClient, command, {
      expiresIn: expiresInSeconds,
      signableHeaders: new Set(signed),
      unhoistableHeaders: new Set(signed),
    });
    return { url, headers: { 'If-None-Match': '*', ...(size !== undefined && { 'Content-Length': String(size) }) } };
  }

  close(): void {
    this.client.destroy();
    this.presignClient.destroy();
  }
}

export function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey';
  }
  return false;
}

/** A sentence for why the store refused or could not be reached. */
export function whyUnusable(error: unknown): string {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    if (status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(error.name)) {
      return `refused the credentials (${error.name}): check the access key and secret`;
    }
    if (status === 404 || error.name === 'NotFound' || error.name === 'NoSuchBucket') {
      return 'has no such bucket: create it first';
    }
    return `answered ${status ?? '?'} ${error.name}`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return `cannot be reached (${code ?? (error as Error | undefined)?.message ?? String(error)})`;
}
