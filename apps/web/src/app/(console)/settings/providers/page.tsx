import type { Metadata } from 'next';
import { PlannedFeature } from '../../../../components/planned-feature';

export const metadata: Metadata = { title: 'Cloud providers' };

export default function ProvidersPage() {
  return (
    <PlannedFeature
      icon="☁"
      title="Cloud provider credentials"
      routes={['PUT /v1/providers/digitalocean', 'PUT /v1/providers/cloudflare', 'GET /v1/providers']}
    >
      <p>
        Save a DigitalOcean token to provision servers there, and a Cloudflare token for domains and certificates. Each is verified
        when saved, stored encrypted, and never shown again — only whether it is set and when it was verified.
      </p>
    </PlannedFeature>
  );
}
