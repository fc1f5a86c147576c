/**
 * Counters in CloudWatch's embedded metric format (EMF): one JSON line on stdout per count, which
 * CloudWatch Logs turns into a metric in namespace `serverless-jwt-auth` with the dimension Stage.
 * Written to stdout directly, not through console: with Lambda's JSON log format, console would
 * nest the record under `message`, and CloudWatch reads EMF only at the top level. No SDK, no call
 * on the request's path. A new counter is one name in METRICS.
 */
export const METRICS = [
  "SignInSucceeded",
  "SignInFailed",
  "SignInLocked",
  "Refreshed",
  "SessionRevoked",
  "CrossSiteRefused",
  "StoreUnavailable",
  "RefreshReuse",
  "PasswordChanged",
  "PasswordChangeFailed",
  "SignedUp",
] as const;

export type MetricName = (typeof METRICS)[number];

export const METRIC_NAMESPACE = "serverless-jwt-auth";

// Read once, as log.ts reads the log format: every function has STAGE (serverless.yml).
const stage = process.env.STAGE ?? "dev";

/** The EMF record that counts one `name` at `timestamp` (epoch milliseconds). */
export function metricRecord(name: MetricName, timestamp: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [["Stage"]], Metrics: [{ Name: name, Unit: "Count" }] },
      ],
    },
    Stage: stage,
    [name]: 1,
  };
}

/** Counts one `name`. Throws nothing. */
export function countMetric(name: MetricName, timestamp = Date.now()): void {
  process.stdout.write(`${JSON.stringify(metricRecord(name, timestamp))}\n`);
}
