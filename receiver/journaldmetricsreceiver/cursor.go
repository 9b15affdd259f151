package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// cursorKey is the storage key of the cursor of the last entry read.
const cursorKey = "journald_cursor"

// cursorStore keeps the cursor in a storage extension; without one it
// keeps nothing and reading starts at start_at on every start.
type cursorStore struct {
	client storage.Client
}

// openCursorStore gets a storage client from the extension id names.
func openCursorStore(ctx context.Context, host component.Host, id *component.ID, self component.ID) (*cursorStore, error) {
	if id == nil {
		return &cursorStore{client: storage.NewNopClient()}, nil
	}
	ext, ok := host.GetExtensions()[*id]
	if !ok {
		return nil, fmt.Errorf("storage extension %q (storage): not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("extension %q (storage): not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage client of %q (storage): %w", id, err)
	}
	return &cursorStore{client: client}, nil
}

// load returns the stored cursor, "" when there is none.
func (s *cursorStore) load(ctx context.Context) (string, error) {
	b, err := s.client.Get(ctx, cursorKey)
	if err != nil {
		return "", fmt.Errorf("load journal cursor: %w", err)
	}
	return string(b), nil
}

func (s *cursorStore) save(ctx context.Context, cursor string) error {
	if err := s.client.Set(ctx, cursorKey, []byte(cursor)); err != nil {
		return fmt.Errorf("save journal cursor: %w", err)
	}
	return nil
}

func (s *cursorStore) close(ctx context.Context) error { return s.client.Close(ctx) }
