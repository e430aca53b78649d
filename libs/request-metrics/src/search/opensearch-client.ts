import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import type { OpenSearchSettings } from './opensearch-settings';

/**
 * The official client for the settings: basic credentials as the client's auth option, SigV4 through the
 * client's own signer for Amazon OpenSearch Service (credentials from the settings, no AWS SDK needed).
 */
export function openSearchClient(settings: OpenSearchSettings): Client {
  const common = { node: settings.node, requestTimeout: 10_000, maxRetries: 1 };
  const auth = settings.auth;
  switch (auth.type) {
    case 'none':
      return new Client(common);
    case 'basic':
      return new Client({ ...common, auth: { username: auth.username, password: auth.password } });
    case 'aws':
      return new Client({
        ...common,
        ...AwsSigv4Signer({
          region: auth.region,
          service: auth.service,
          getCredentials: () => Promise.resolve(auth.credentials),
        }),
      });
  }
}
