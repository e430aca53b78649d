import { z } from 'zod';
import { ImageReferenceSchema } from '../deployments/deploy-configs';
import { ImageRepositorySchema, ImageTagSchema, ServiceKeySchema, StreamErrorLineSchema } from './common';

/** The archive formats an image can be built from, by the request's Content-Type. */
export const ArchiveContentTypes = {
  tarGzip: 'application/gzip',
  tar: 'application/x-tar',
  zip: 'application/zip',
} as const;
export type ArchiveContentType = (typeof ArchiveContentTypes)[keyof typeof ArchiveContentTypes];

/** `POST /v1/images/build?…` with the source archive as the body. */
export const BuildImageQuerySchema = z.strictObject({
  repository: ImageRepositorySchema,
  tag: ImageTagSchema,
  service: ServiceKeySchema,
  /** The deployment's workspace, labelled on the image: an image without it is tagged for no deployment. */
  workspace: z.uuid().optional(),
  /** Path of the Dockerfile inside the archive. */
  dockerfile: z
    .string()
    .max(255)
    .regex(/^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$/, 'must be a relative path inside the archive')
    .refine((path) => !path.split('/').includes('..'), 'must not leave the archive')
    .default('Dockerfile'),
});
export type BuildImageQuery = z.input<typeof BuildImageQuerySchema>;

/** One NDJSON line of a build's answer: the builder's output as it comes, then the result (or an error). */
export const BuildProgressLineSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('log'), message: z.string() }),
  z.strictObject({ type: z.literal('result'), image: z.string(), imageId: z.string() }),
  StreamErrorLineSchema,
]);
export type BuildProgressLine = z.infer<typeof BuildProgressLineSchema>;

/**
 * Credentials for one pull or push (the Docker Engine's AuthConfig, sent as `X-Registry-Auth` with that request
 * only): the agent keeps them nowhere, so they are in no docker config, no log and no `docker inspect`.
 */
export const RegistryAuthSchema = z.strictObject({
  serveraddress: z.string().min(1).max(255),
  username: z.string().max(1024).optional(),
  password: z.string().max(8192).optional(),
  /** A bearer token the engine sends as is. */
  registrytoken: z.string().max(16_384).optional(),
});
export type RegistryAuth = z.infer<typeof RegistryAuthSchema>;

export const PullImageRequestSchema = z.strictObject({
  image: ImageReferenceSchema,
  /** For a private registry: used for this pull only. */
  auth: RegistryAuthSchema.optional(),
});
export type PullImageRequest = z.infer<typeof PullImageRequestSchema>;

export const ImageResultSchema = z.strictObject({ image: z.string(), imageId: z.string() });

/** Pushes an image of this server to `repository:tag` in a registry, with credentials for this push only. */
export const PushImageRequestSchema = z.strictObject({
  source: ImageReferenceSchema,
  repository: ImageRepositorySchema,
  tag: ImageTagSchema,
  auth: RegistryAuthSchema,
});
export type PushImageRequest = z.infer<typeof PushImageRequestSchema>;

/** The pushed image and its manifest's digest: what every server then pulls. */
export const PushImageResultSchema = z.strictObject({
  image: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
});
export type PushImageResult = z.infer<typeof PushImageResultSchema>;
export type ImageResult = z.infer<typeof ImageResultSchema>;

/**
 * Gives an image (pulled, or built elsewhere) a platform tag and the platform's labels, so that listing and
 * pruning treat it as the platform's own; the source image itself is left as it was. An image the platform made
 * is only tagged for the workspace and service it was made for.
 */
export const TagImageRequestSchema = z.strictObject({
  source: ImageReferenceSchema,
  repository: ImageRepositorySchema,
  tag: ImageTagSchema,
  service: ServiceKeySchema,
  workspace: z.uuid(),
});
export type TagImageRequest = z.infer<typeof TagImageRequestSchema>;

export const ListImagesQuerySchema = z.strictObject({ service: ServiceKeySchema.optional() });
export type ListImagesQuery = z.infer<typeof ListImagesQuerySchema>;

export const ManagedImageSchema = z.strictObject({
  id: z.string(),
  tags: z.array(z.string()),
  service: z.string(),
  createdAt: z.iso.datetime(),
  sizeBytes: z.number(),
});
export type ManagedImage = z.infer<typeof ManagedImageSchema>;

export const ListImagesResponseSchema = z.strictObject({ images: z.array(ManagedImageSchema) });
export type ListImagesResponse = z.infer<typeof ListImagesResponseSchema>;

export const RemoveImageRequestSchema = z.strictObject({ image: ImageReferenceSchema });
export type RemoveImageRequest = z.infer<typeof RemoveImageRequestSchema>;

export const RemoveImageResponseSchema = z.strictObject({ removed: z.array(z.string()) });
export type RemoveImageResponse = z.infer<typeof RemoveImageResponseSchema>;

/** Removes `deploy_*` tags of platform images beyond the newest `keep` per service. */
export const PruneImagesRequestSchema = z.strictObject({
  keep: z.int().min(1).max(100),
  service: ServiceKeySchema.optional(),
});
export type PruneImagesRequest = z.infer<typeof PruneImagesRequestSchema>;

export const PruneImagesResponseSchema = z.strictObject({
  removed: z.array(z.string()),
  kept: z.array(z.string()),
  /** Tags that should have gone but could not, e.g. because a container still uses the image. */
  skipped: z.array(z.strictObject({ image: z.string(), reason: z.string() })),
});
export type PruneImagesResponse = z.infer<typeof PruneImagesResponseSchema>;
