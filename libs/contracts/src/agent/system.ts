import { z } from 'zod';

export const AgentHealthSchema = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  checks: z.strictObject({ docker: z.boolean(), nginx: z.boolean() }),
});
export type AgentHealth = z.infer<typeof AgentHealthSchema>;

export const AgentVersionInfoSchema = z.strictObject({
  agentVersion: z.string(),
  docker: z.strictObject({ version: z.string(), apiVersion: z.string() }).nullable(),
  nginx: z.strictObject({ version: z.string() }).nullable(),
  disk: z.strictObject({ path: z.string(), freeBytes: z.number(), totalBytes: z.number() }),
  memory: z.strictObject({ freeBytes: z.number(), totalBytes: z.number() }),
});
export type AgentVersionInfo = z.infer<typeof AgentVersionInfoSchema>;
