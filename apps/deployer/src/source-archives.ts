import { UploadStore } from '@platform/build';
import { DomainError, type DeploySource } from '@platform/contracts';
import type { SourceArchive, SourceArchives } from '@platform/deployments';

/** Upload and git sources as archives for the agents' builds. */
export class BuildSourceArchives implements SourceArchives {
  private readonly uploads: UploadStore;

  constructor(uploadsDir: string) {
    this.uploads = new UploadStore({ root: uploadsDir });
  }

  async archiveOf(workspaceId: string, source: Exclude<DeploySource, { type: 'image' }>): Promise<SourceArchive> {
    if (source.type === 'upload') {
      const upload = await this.uploads.get(workspaceId, source.uploadId);
      // The upload stays: a later deployment may build from it again.
      return { path: upload.path, contentType: upload.contentType, dispose: () => Promise.resolve() };
    }
    throw new DomainError('unavailable', 'git sources are not built yet; upload an archive or deploy an image');
  }
}
