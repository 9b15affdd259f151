//go:build !linux || !cgo

package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import "errors"

var errSdjournalUnavailable = errors.New("reader sdjournal needs a Linux build with cgo (libsystemd); use reader: journalctl")

func openSdjournal(readerOptions) (journalReader, error) { return nil, errSdjournalUnavailable }
