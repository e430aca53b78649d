import type { DeploySource } from '@platform/contracts';

/** One line saying where a deployment's code comes from. */
export function SourceSummary({ source }: { source: DeploySource }) {
  switch (source.type) {
    case 'image':
      return (
        <>
          <span className="badge">image</span> <code>{source.image}</code>
        </>
      );
    case 'git':
      return (
        <>
          <span className="badge">git</span> <code>{source.url.replace(/^https:\/\//, '')}</code> @{' '}
          <code>{source.ref}</code>
        </>
      );
    case 'upload':
      return (
        <>
          <span className="badge">upload</span> <code>{source.uploadId.slice(0, 8)}</code>
        </>
      );
  }
}
