import { prepareBuildContext, UploadStore, type BuildContextSource } from '@platform/build';
import type { DeploySource } from '@platform/contracts';
import type { SourceArchive, SourceArchiveOptions, SourceArchives } from '@platform/deployments';

/**
 * Upload and git sources as build contexts for the agents' builds (see prepareBuildContext): always a tar.gz
 * with a Dockerfile, generated for the detected stack when the project has none; disposing removes it.
 */
export class BuildSourceArchives implements SourceArchives {
  private readonly uploads: UploadStore;

  constructor(uploadsDir: string) {
    this.uploads = new UploadStore({ root: uploadsDir });
  }

  async archiveOf(
    workspaceId: string,
    source: Exclude<DeploySource, { type: 'image' }>,
    options: SourceArchiveOptions = {},
  ): Promise<SourceArchive> {
    // The upload itself stays, marked used so the sweep of unused uploads keeps it: a later deployment may build
    // from it again.
    if (source.type === 'upload') await this.uploads.markUsed(workspaceId, source.uploadId);
    const from: BuildContextSource =
      source.type === 'upload'
        ? { type: 'archive', path: (await this.uploads.get(workspaceId, source.uploadId)).path }
        : { type: 'git', url: source.url, ref: source.ref };
    const context = await prepareBuildContext(from, { port: options.port });
    return {
      path: context.path,
      contentType: context.contentType,
      dockerfile: context.dockerfile,
      notes: context.notes,
      port: context.stack.port,
      dispose: () => context.dispose(),
    };
  }
}
