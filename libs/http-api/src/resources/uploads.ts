import type { UploadStore } from '@platform/build';
import { DomainError } from '@platform/contracts';
import type { FastifyRequest } from 'fastify';
import { accessOf } from '../request-state';

/** Uploaded archives that services are deployed from. */
export class UploadsResource {
  constructor(private readonly uploads: UploadStore) {}

  async create(request: FastifyRequest) {
    // The router checked that the body is the archive's stream (see the route's `upload`).
    const length = Number(request.headers['content-length']);
    const stored = await this.uploads.save(
      accessOf(request).workspaceId,
      request.body as NodeJS.ReadableStream,
      request.headers['content-type'],
      Number.isSafeInteger(length) ? length : undefined,
    );
    return { uploadId: stored.uploadId, size: stored.size, sha256: stored.sha256 };
  }

  async remove(request: FastifyRequest, uploadId: string): Promise<void> {
    if (!(await this.uploads.remove(accessOf(request).workspaceId, uploadId)))
      throw new DomainError('not_found', `no upload ${uploadId}`);
  }
}
