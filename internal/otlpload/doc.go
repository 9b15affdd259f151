// Package otlpload is a throughput client for OTLP/HTTP: it builds whole protobuf export requests
// (two-span traces or metric points), sends them with several in flight, and retries each one on
// 429, 502, 503, 504 and connection errors until the collector accepts it. It counts what was
// accepted and drops nothing on its own side, unlike an SDK exporter that sheds load when it
// outruns its collector.
package otlpload
