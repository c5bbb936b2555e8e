/**
 * The layer store in S3-compatible object storage, so that several lab servers and a CDN share
 * one store. A PutObject is atomic (a reader sees the old object or the whole new one).
 *
 * Checksums are computed only when an operation requires them: the SDK's default trailing
 * checksums use aws-chunked uploads that some S3-compatible servers do not accept, and every
 * object here is already checked against a sha-256 by layer-store.ts.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { assertListPrefix, assertObjectKey, type ObjectStore } from './object-store';

export interface S3ObjectStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket ("" or ending in "/"). */
  keyPrefix: string;
  /** An S3-compatible server's URL; undefined for AWS itself. */
  endpoint: string | undefined;
  region: string;
  /** Path-style URLs (http://host/bucket/key), which local servers and MinIO need. */
  forcePathStyle: boolean;
  /** Credentials; undefined takes the standard AWS environment variables and profiles. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
}

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly config: S3ObjectStoreConfig) {
    this.description = `S3 bucket ${config.bucket}${config.keyPrefix ? ` under ${config.keyPrefix}` : ''}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
    });
  }

  private objectKey(key: string): string {
    assertObjectKey(key);
    return this.config.keyPrefix + key;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      if (!reply.Body) return new Uint8Array(0);
      return await reply.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key), Body: bytes, ContentLength: bytes.length, ContentType: 'application/octet-stream' }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    assertListPrefix(prefix);
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const reply = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.keyPrefix + prefix, ContinuationToken: continuationToken }),
      );
      for (const object of reply.Contents ?? []) if (object.Key) keys.push(object.Key.slice(this.config.keyPrefix.length));
      continuationToken = reply.IsTruncated ? reply.NextContinuationToken : undefined;
    } while (continuationToken);
    return keys;
  }

  close(): void {
    this.client.destroy();
  }
}
