/* The one way collectors hand their values to the store, the agent and the /metrics exporter
 * without those knowing each collector's structs: a Prometheus-style name, label pairs and a
 * value (DESIGN.md "Metric names"). Shared by the host and process collectors. */
#pragma once

/* Called once per known value. `name` and `labels` are borrowed for the duration of the call
 * only. `labels` is "key", "value", ..., NULL (an empty list is just NULL); keys are in a fixed
 * order per metric name, so a consumer may build a series key by concatenation. */
typedef void (*MetricFn)(void *userdata, const char *name, const char *const *labels, double value);
