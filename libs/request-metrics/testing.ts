/** What tests of other projects use to make request records (`@platform/request-metrics/testing`). */
export { aRecord } from './src/test-support';
