import type { Metadata } from 'next';
import { PageHeader } from '../../../components/page-header';
import { PlannedFeature } from '../../../components/planned-feature';

export const metadata: Metadata = { title: 'Infrastructure' };

export default function InfrastructurePage() {
  return (
    <>
      <PageHeader title="Infrastructure" description="The servers your applications run on, and the base images new servers start from." />
      <div className="stack">
        <PlannedFeature icon="▣" title="Servers" routes={['GET /v1/servers', 'POST /v1/servers', 'DELETE /v1/servers/{id}', 'GET /v1/providers/{provider}/regions · /sizes']}>
          <p>
            Every managed server with its provider, region, size, IP addresses, status and agent version (with a warning when the
            agent is outdated); provision one on this machine or on DigitalOcean, delete one with confirmation. Status changes
            appear live.
          </p>
        </PlannedFeature>
        <PlannedFeature icon="◫" title="Snapshots" routes={['GET /v1/snapshots', 'POST /v1/snapshots', 'DELETE /v1/snapshots/{id}']}>
          <p>Base images with Docker, nginx and the agent installed, so new servers are ready in seconds.</p>
        </PlannedFeature>
      </div>
    </>
  );
}
