import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { pageOf, paginationParams } from '../messages';
import { DEPLOYMENTS } from './deploy-configs';

const projectId = z.uuid();

/** A name people read in lists and URLs: `web`, `billing-api`. It also names the service's hostname. */
export const SlugNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  );

export const CreateProjectRequestSchema = z.strictObject({ name: SlugNameSchema });
export const CreateProject = defineCommand(
  DEPLOYMENTS,
  'CreateProject',
  z.strictObject({ projectId, name: SlugNameSchema }),
);
export const ProjectCreated = defineEvent(
  DEPLOYMENTS,
  'ProjectCreated',
  z.strictObject({ projectId, workspaceId: z.string(), name: z.string() }),
);

export const projectEvents = [ProjectCreated] as const;

export const ProjectViewSchema = z.strictObject({ id: projectId, name: z.string(), createdAt: z.iso.datetime() });

export const ListProjects = defineQuery(
  DEPLOYMENTS,
  'ListProjects',
  z.strictObject({ ...paginationParams }),
  pageOf(ProjectViewSchema),
);
export const GetProject = defineQuery(DEPLOYMENTS, 'GetProject', z.strictObject({ projectId }), ProjectViewSchema);
