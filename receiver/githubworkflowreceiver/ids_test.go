package githubworkflowreceiver

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// TestIDDerivation recomputes the ids exactly as ids.go documents them, so a
// change to the derivation (which would re-identify every emitted trace)
// cannot go unnoticed.
func TestIDDerivation(t *testing.T) {
	field := func(s string) []byte { return append(binary.AppendUvarint(nil, uint64(len(s))), s...) }
	var msg []byte
	for _, f := range []string{"githubworkflow/v1", "api.github.com", "octo-org/octo-repo", "289782451", "2"} {
		msg = append(msg, field(f)...)
	}
	sum := sha256.Sum256(msg)
	var wantTrace pcommon.TraceID
	copy(wantTrace[:], sum[:16])

	stepMsg := append(append(append([]byte{}, msg...), field("step")...), append(field("42"), field("3")...)...)
	stepSum := sha256.Sum256(stepMsg)
	var wantStep pcommon.SpanID
	copy(wantStep[:], stepSum[:8])

	k := attemptKey{host: "API.github.com", repo: "Octo-Org/octo-repo", runID: 289782451, attempt: 2}
	assert.Equal(t, wantTrace, k.traceID())
	assert.Equal(t, wantStep, k.stepSpanID(42, 3))
}

func TestSpanIDsDistinct(t *testing.T) {
	k := attemptKey{host: "api.github.com", repo: "o/r", runID: 1, attempt: 1}
	ids := []pcommon.SpanID{
		k.rootSpanID(), k.jobSpanID(1), k.queueSpanID(1), k.stepSpanID(1, 1),
		k.jobSpanID(2), k.stepSpanID(1, 2), k.stepSpanID(2, 1),
	}
	seen := map[pcommon.SpanID]bool{}
	for _, id := range ids {
		assert.False(t, id.IsEmpty())
		assert.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
	}
	// Field boundaries matter: run 12 attempt 3 is not run 1 attempt 23.
	a := attemptKey{host: "h", repo: "o/r", runID: 12, attempt: 3}
	b := attemptKey{host: "h", repo: "o/r", runID: 1, attempt: 23}
	assert.NotEqual(t, a.traceID(), b.traceID())
}

func TestSemconvValues(t *testing.T) {
	for got, want := range map[string]string{
		resultSuccess:      semconv.CICDPipelineResultSuccess.Value.AsString(),
		resultFailure:      semconv.CICDPipelineResultFailure.Value.AsString(),
		resultError:        semconv.CICDPipelineResultError.Value.AsString(),
		resultTimeout:      semconv.CICDPipelineResultTimeout.Value.AsString(),
		resultCancellation: semconv.CICDPipelineResultCancellation.Value.AsString(),
		resultSkip:         semconv.CICDPipelineResultSkip.Value.AsString(),
		runStatePending:    semconv.CICDPipelineRunStatePending.Value.AsString(),
		runStateExecuting:  semconv.CICDPipelineRunStateExecuting.Value.AsString(),
		runStateFinalizing: semconv.CICDPipelineRunStateFinalizing.Value.AsString(),
		providerGitHub:     semconv.VCSProviderNameGithub.Value.AsString(),
		actionRun:          semconv.CICDPipelineActionNameRun.Value.AsString(),
	} {
		assert.Equal(t, want, got)
	}
	// Task results share the pipeline result values.
	assert.Equal(t, semconv.CICDPipelineTaskRunResultSkip.Value.AsString(), resultSkip)
	assert.Equal(t, semconv.CICDPipelineTaskRunResultCancellation.Value.AsString(), resultCancellation)
}
