import type { UploadStore } from '@platform/build';
import { apiRoutes, DomainError } from '@platform/contracts';
import type { AuditLog } from '@platform/identity';
import type { FastifyRequest } from 'fastify';
import { accessOf } from '../request-state';
import { recordRequestChange } from './request-audit';

/**
 * Uploaded archives that services are deployed from. An upload's audit entry is recorded once its file is stored
 * or removed: the file system shares no transaction with the log, so a crash in between loses that one entry.
 */
export class UploadsResource {
  constructor(
    private readonly uploads: UploadStore,
    private readonly audit: AuditLog,
  ) {}

  async create(request: FastifyRequest) {
    // The router checked that the body is the archive's stream (see the route's `upload`).
    const length = Number(request.headers['content-length']);
    const stored = await this.uploads.save(
      accessOf(request).workspaceId,
      request.body as NodeJS.ReadableStream,
      request.headers['content-type'],
      Number.isSafeInteger(length) ? length : undefined,
    );
    await this.record(request, apiRoutes.createUpload.operationId, stored.uploadId);
    return { uploadId: stored.uploadId, size: stored.size, sha256: stored.sha256 };
  }

  async remove(request: FastifyRequest, uploadId: string): Promise<void> {
    if (!(await this.uploads.remove(accessOf(request).workspaceId, uploadId)))
      throw new DomainError('not_found', `no upload ${uploadId}`);
    await this.record(request, apiRoutes.deleteUpload.operationId, uploadId);
  }

  private record(request: FastifyRequest, action: string, uploadId: string): Promise<void> {
    return recordRequestChange(this.audit, request, action, { type: 'upload', id: uploadId });
  }
}
