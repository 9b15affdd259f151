package postgresexporter

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommitInDoubt loses the answer of a COMMIT, once after the server applied it and once after
// it did not, and checks that exporterhelper's retry of the same request writes it exactly once.
func TestCommitInDoubt(t *testing.T) {
	lostAnswer := fmt.Errorf("read commit answer: %w", io.ErrUnexpectedEOF)
	tests := []struct {
		name   string
		commit func(context.Context, pgx.Tx) error
	}{
		{name: "committed", commit: func(ctx context.Context, tx pgx.Tx) error {
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			return lostAnswer
		}},
		{name: "rolled back", commit: func(ctx context.Context, tx pgx.Tx) error {
			if err := tx.Rollback(ctx); err != nil {
				return err
			}
			return lostAnswer
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := cluster.NewDatabase(t)
			e := startExporter(t, itConfig(dsn))
			real := e.commit
			e.commit = tt.commit
			err := e.pushTraces(t.Context(), itTraces())
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.False(t, isPermanent(err), "retried")

			e.commit = real
			require.NoError(t, e.pushTraces(t.Context(), itTraces()), "the retry")
			conn := connect(t, dsn)
			assert.Equal(t, int64(2), countRows(t, conn, "otel", "spans"), "exactly once")

			// Later requests, even with the same content, are written as usual.
			require.NoError(t, e.pushTraces(t.Context(), itTraces()))
			assert.Equal(t, int64(4), countRows(t, conn, "otel", "spans"))
		})
	}
}

func TestFingerprint(t *testing.T) {
	a := fingerprint(tracesToRows(itTraces()))
	assert.Equal(t, a, fingerprint(tracesToRows(itTraces())), "same request, same fingerprint")
	other := itTraces()
	other.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).SetSpanID([8]byte{9})
	assert.NotEqual(t, a, fingerprint(tracesToRows(other)))
	assert.NotEqual(t, fingerprint(metricsToRows(itMetrics())), fingerprint(logsToRows(itLogs())))
}

func TestInDoubtWritesBounded(t *testing.T) {
	d := newInDoubtWrites()
	for i := range maxInDoubt + 10 {
		d.put(uint64(i), commitToken{})
	}
	assert.Len(t, d.pending, maxInDoubt)
	tok, err := newCommitToken()
	require.NoError(t, err)
	d.put(1<<40, tok)
	got, ok := d.take(1 << 40)
	assert.True(t, ok)
	assert.Equal(t, tok, got)
	_, ok = d.take(1 << 40)
	assert.False(t, ok, "taken once")
}
