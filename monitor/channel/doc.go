// Package channel is Pumpside's channel vocabulary: the named, unit-bearing
// values that travel from devices through the pipeline to the alarm engine, the
// GUI and the case record.
//
// The names and units are a public contract (docs/channels.md, mirrored from
// the project's domain notes): a channel may be added, never renamed or
// re-united. In a case file and in InfluxDB the part before the dot is the
// measurement and the part after it the field.
//
// Each channel carries what the rest of the program needs to treat its values
// safely: a display precision, a plausible range (values outside it are
// flagged OutOfRange and never shown as numbers) and a freshness limit (a value
// older than that is Stale).
//
// The table is immutable after package initialisation and safe for concurrent
// use. Channel IDs are small integers that index it, so the hot path carries
// no strings.
package channel
