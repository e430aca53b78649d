export const METRICS_CONFIG = Symbol('MetricsConfig');
export const METRICS_WRITER = Symbol('MetricsWriter');
export const METRICS_PARTITIONS = Symbol('MetricsPartitions');
export const INGEST_METRICS = Symbol('IngestMetrics');
export const METRICS_SEARCH = Symbol('MetricsSearchStore');
export const METRICS_READER = Symbol('MetricsReader');
