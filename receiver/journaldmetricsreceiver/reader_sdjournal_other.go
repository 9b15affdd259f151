//go:build !linux || !cgo

package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

func openSdjournal(readerOptions) (journalReader, error) { return nil, errSdjournalUnavailable }
