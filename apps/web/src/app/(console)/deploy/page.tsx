import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '../../../components/page-header';
import { PlannedFeature } from '../../../components/planned-feature';

export const metadata: Metadata = { title: 'Deploy' };

export default function DeployPage() {
  return (
    <>
      <PageHeader
        title="Deploy"
        description={
          <>
            Ship a new version. Meanwhile, save what you will deploy as a <Link href="/deploy-configs">deploy config</Link>.
          </>
        }
      />
      <PlannedFeature icon="▲" title="Deploy a service" routes={['POST /v1/uploads', 'POST /v1/deployments (with Accept: text/event-stream)']}>
        <p>
          Pick a service, a source (drop an archive, a git URL and ref, or an image), the servers and the environment, then watch
          each server go through build, ship, health check and cutover live, ending with the app&apos;s URL. Saved deploy configs
          load here to run again.
        </p>
      </PlannedFeature>
    </>
  );
}
