import type { Projection } from '@platform/event-store';
import { readModelsOf } from './service-runtime';

function projection(name: string, eventTypes?: string[]): Projection {
  return { name, eventTypes, handle: async () => undefined, reset: async () => undefined };
}

describe('readModelsOf', () => {
  it('names the projections that read any of the types, and those that read every type', () => {
    const projections = [
      projection('services'),
      projection('deployConfigs', ['DeployConfigCreated', 'DeployConfigDeleted']),
      projection('snapshots', ['SnapshotRequested']),
    ];
    expect(readModelsOf(projections, ['DeployConfigDeleted'])).toEqual(['services', 'deployConfigs']);
    expect(readModelsOf(projections, ['ProjectCreated'])).toEqual(['services']);
  });
});
