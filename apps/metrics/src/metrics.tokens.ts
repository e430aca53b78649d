export const METRICS_CONFIG = Symbol('MetricsConfig');
export const METRICS_WRITER = Symbol('MetricsWriter');
export const METRICS_QUERIES = Symbol('MetricsQueries');
export const METRICS_PARTITIONS = Symbol('MetricsPartitions');
export const INGEST_METRICS = Symbol('IngestMetrics');
