/** Where a service answers on each of its servers' edges (the Host header nginx routes on). */
export function serviceHostname(serviceName: string): string {
  return `${serviceName}.localhost`;
}
