package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Trace and span ids are derived, never random, so that the same attempt seen
// by polling, by a webhook, or again after a restart gets the same ids and
// anything downstream can deduplicate.
//
// Derivation (version 1). Every field is written as its length in bytes as an
// unsigned varint followed by its bytes, so that no two field lists collide:
//
//	attempt fields = "githubworkflow/v1", lower(host), lower(repo), decimal(run id), decimal(attempt)
//	trace id       = sha256(attempt fields)[0:16]
//	span id        = sha256(attempt fields, kind, decimal(job id), decimal(step number))[0:8]
//
// where kind is "root" (job id and step number 0), "job" (step 0), "queue"
// (step 0) or "step". Host and repository are lowercased because GitHub
// treats them case-insensitively ("Owner/Repo" and "owner/repo" are the same
// repository). An all-zero result, which is invalid in OTLP, gets its last
// byte set to 1.

const idVersion = "githubworkflow/v1"

// span kinds in the span id derivation.
const (
	idKindRoot  = "root"
	idKindJob   = "job"
	idKindQueue = "queue"
	idKindStep  = "step"
)

// attemptKey names one run attempt for id derivation.
type attemptKey struct {
	host    string
	repo    string
	runID   int64
	attempt int
}

func writeField(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

func (k attemptKey) hash(extra ...string) [sha256.Size]byte {
	h := sha256.New()
	writeField(h, idVersion)
	writeField(h, strings.ToLower(k.host))
	writeField(h, strings.ToLower(k.repo))
	writeField(h, strconv.FormatInt(k.runID, 10))
	writeField(h, strconv.Itoa(k.attempt))
	for _, e := range extra {
		writeField(h, e)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func (k attemptKey) traceID() pcommon.TraceID {
	sum := k.hash()
	var id pcommon.TraceID
	copy(id[:], sum[:16])
	if id.IsEmpty() {
		id[15] = 1
	}
	return id
}

func (k attemptKey) spanID(kind string, jobID, step int64) pcommon.SpanID {
	sum := k.hash(kind, strconv.FormatInt(jobID, 10), strconv.FormatInt(step, 10))
	var id pcommon.SpanID
	copy(id[:], sum[:8])
	if id.IsEmpty() {
		id[7] = 1
	}
	return id
}

func (k attemptKey) rootSpanID() pcommon.SpanID { return k.spanID(idKindRoot, 0, 0) }

func (k attemptKey) jobSpanID(jobID int64) pcommon.SpanID { return k.spanID(idKindJob, jobID, 0) }

func (k attemptKey) queueSpanID(jobID int64) pcommon.SpanID { return k.spanID(idKindQueue, jobID, 0) }

func (k attemptKey) stepSpanID(jobID, step int64) pcommon.SpanID {
	return k.spanID(idKindStep, jobID, step)
}
