import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../definitions';
import { DomainError } from '../errors';
import { pageOf, paginationParams } from '../messages';
import { DEPLOYMENTS } from './deploy-configs';
import { SlugNameSchema } from './projects';

const projectId = z.uuid();
const serviceId = z.uuid();
const deploymentId = z.uuid();

/** An environment variable's name: no `=`, no newline, nothing a shell or Docker would read differently. */
export const EnvNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must start with a letter or "_" and hold only letters, digits and "_"');
export const EnvValuesSchema = z
  .record(EnvNameSchema, z.string().max(32_768))
  .refine((env) => Object.keys(env).length <= 200, 'at most 200 variables');

export const HealthCheckPathSchema = z
  .string()
  .max(1024)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/, 'must be a URL path starting with "/"');

/** The sealing context of a service's environment variable: the gateway seals it, the deployer opens it. */
export function envSecretContext(workspaceId: string, serviceId: string, name: string): string {
  return `${workspaceId}:service:${serviceId}:env:${name}`;
}

/** Environment values as stored: each sealed (AES-256-GCM) for its service and name, never in plain text. */
export const SealedEnvSchema = z.record(EnvNameSchema, z.string().startsWith('v1:'));
export type SealedEnv = z.infer<typeof SealedEnvSchema>;

export const CreateServiceRequestSchema = z.strictObject({
  name: SlugNameSchema,
  port: z.int().min(1).max(65535),
  healthCheckPath: HealthCheckPathSchema.default('/'),
  env: EnvValuesSchema.default({}),
});
export const UpdateServiceRequestSchema = z
  .strictObject({
    port: z.int().min(1).max(65535).optional(),
    healthCheckPath: HealthCheckPathSchema.optional(),
    /** Variables to set; a null value removes the variable. */
    env: z.record(EnvNameSchema, z.string().max(32_768).nullable()).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'change at least one of port, healthCheckPath, env');

export const CreateService = defineCommand(
  DEPLOYMENTS,
  'CreateService',
  z.strictObject({
    serviceId,
    projectId,
    name: SlugNameSchema,
    port: z.int(),
    healthCheckPath: HealthCheckPathSchema,
    env: SealedEnvSchema,
  }),
);
export const UpdateService = defineCommand(
  DEPLOYMENTS,
  'UpdateService',
  z.strictObject({
    serviceId,
    port: z.int().min(1).max(65535).optional(),
    healthCheckPath: HealthCheckPathSchema.optional(),
    setEnv: SealedEnvSchema.default({}),
    unsetEnv: z.array(EnvNameSchema).default([]),
  }),
);

export const ServiceCreated = defineEvent(
  DEPLOYMENTS,
  'ServiceCreated',
  z.strictObject({
    serviceId,
    projectId,
    workspaceId: z.string(),
    name: z.string(),
    port: z.int(),
    healthCheckPath: z.string(),
    env: SealedEnvSchema,
  }),
);
export const ServiceUpdated = defineEvent(
  DEPLOYMENTS,
  'ServiceUpdated',
  z.strictObject({
    serviceId,
    port: z.int(),
    healthCheckPath: z.string(),
    setEnv: SealedEnvSchema,
    unsetEnv: z.array(z.string()),
  }),
);

/** The events of a service itself; its stream also holds its deployments' (see `deploymentEvents`). */
export const serviceEvents = [ServiceCreated, ServiceUpdated] as const;

export const EnvVariableViewSchema = z.strictObject({ name: z.string(), masked: z.string() });
export const ServiceViewSchema = z.strictObject({
  id: serviceId,
  projectId,
  name: z.string(),
  port: z.int(),
  healthCheckPath: z.string(),
  /** Names only, values masked: the API never sends a secret back. */
  env: z.array(EnvVariableViewSchema),
  hostname: z.string(),
  /** Where it opens in a browser once deployed: `http://<hostname>` through this machine's front door. */
  url: z.string(),
  currentDeploymentId: deploymentId.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ServiceView = z.infer<typeof ServiceViewSchema>;

export const ListServices = defineQuery(
  DEPLOYMENTS,
  'ListServices',
  z.strictObject({ projectId, ...paginationParams }),
  pageOf(ServiceViewSchema),
);
export const GetService = defineQuery(DEPLOYMENTS, 'GetService', z.strictObject({ serviceId }), ServiceViewSchema);
/** A service name another workspace holds: names are hostnames, shared by the whole instance. */
export function serviceNameTaken(name: string): DomainError {
  return new DomainError(
    'name_taken',
    `the service name "${name}" is taken by another workspace (names are hostnames, shared by the whole instance); choose another name`,
    [{ path: 'name', reason: 'name_taken' }],
  );
}

/** Whether the caller's workspace may make a service of this name: names are hostnames, shared by the instance. */
export const CheckServiceName = defineQuery(
  DEPLOYMENTS,
  'CheckServiceName',
  z.strictObject({ name: SlugNameSchema }),
  z.strictObject({ available: z.boolean() }),
);
