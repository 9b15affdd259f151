// Command otlpload sends a load of whole OTLP/HTTP protobuf requests to a collector, several in
// flight, each retried until accepted, and prints what was accepted and at what rate:
//
//	go run ./internal/cmd/otlpload -endpoint http://127.0.0.1:4318 -signal traces -n 100000
//	go run ./internal/cmd/otlpload -endpoint http://127.0.0.1:4318 -signal metrics -n 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/otlpload"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4318", "the collector's OTLP/HTTP base URL")
	sig := flag.String("signal", "traces", "traces (two-span traces) or metrics (int sum points)")
	n := flag.Int("n", 100_000, "traces or metric points to send")
	perRequest := flag.Int("per-request", 0, "traces or points per request (default 500 traces, 1000 points)")
	series := flag.Int("series", 1000, "metrics: distinct series the points spread over")
	inFlight := flag.Int("in-flight", 4, "requests in flight")
	flag.Parse()
	if err := run(*endpoint, *sig, *n, *perRequest, *series, *inFlight); err != nil {
		fmt.Fprintln(os.Stderr, "otlpload:", err)
		os.Exit(1)
	}
}

func run(endpoint, sig string, n, perRequest, series, inFlight int) error {
	if n < 1 || perRequest < 0 || series < 1 || inFlight < 1 {
		return fmt.Errorf("-n, -series and -in-flight must be positive, -per-request not negative")
	}
	var reqs []otlpload.Request
	now := time.Now()
	switch sig {
	case "traces":
		if perRequest == 0 {
			perRequest = 500
		}
		reqs = otlpload.Traces(n, perRequest, now)
	case "metrics":
		if perRequest == 0 {
			perRequest = 1000
		}
		reqs = otlpload.Metrics(n, perRequest, series, now)
	default:
		return fmt.Errorf("-signal %q: want traces or metrics", sig)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s := &otlpload.Sender{URL: strings.TrimSuffix(endpoint, "/") + "/v1/" + sig, InFlight: inFlight}
	start := time.Now()
	res, err := s.Send(ctx, reqs)
	elapsed := time.Since(start)
	fmt.Printf("accepted %d of %d requests, %d items (%d rejected), %d retries, in %s: %.0f items/s\n",
		res.Requests, len(reqs), res.Items, res.Rejected, res.Retries, elapsed.Round(time.Millisecond), float64(res.Items)/elapsed.Seconds())
	return err
}
