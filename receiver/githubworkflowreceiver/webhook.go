package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-github/v66/github"
)

// completedRun names a run attempt a webhook reported as completed (or, passed to onActive,
// as requested or in progress).
type completedRun struct {
	Repo    string // "owner/name"
	RunID   int64
	Attempt int
	// Run is the delivered workflow_run object when it is complete enough to be emitted
	// as is (see emittable); nil otherwise, and the attempt is fetched.
	Run *github.WorkflowRun
	// State is the cicd.pipeline.run.state of a run announced active.
	State string
}

// Webhook outcomes passed to observe.
const (
	outcomeAccepted         = "accepted"  // completed workflow_run handed to onCompleted
	outcomeActive           = "active"    // requested or in-progress workflow_run handed to onActive
	outcomeIgnored          = "ignored"   // valid delivery of no interest
	outcomePing             = "ping"      // ping answered
	outcomeDuplicate        = "duplicate" // X-GitHub-Delivery seen before
	outcomeUnauthorized     = "unauthorized"
	outcomeTooLarge         = "too_large"
	outcomeMalformed        = "malformed"
	outcomeUnsupportedMedia = "unsupported_media_type"
	outcomeBadMethod        = "method_not_allowed"
	outcomeQueueFull        = "queue_full" // not remembered: answered 503 so that GitHub redelivers
)

// Event labels passed to observe: a fixed set, since the header of an
// unauthenticated request is attacker-controlled.
const (
	eventPing        = "ping"
	eventWorkflowRun = "workflow_run"
	eventWorkflowJob = "workflow_job"
	eventOther       = "other"
)

const (
	// deliveryLogSize is how many X-GitHub-Delivery ids are remembered for
	// deduplication (GitHub redelivers with the same id).
	deliveryLogSize = 10000
	// maxDeliveryIDLen: longer ids are remembered by their SHA-256, so the
	// log's memory stays bounded whatever the header holds.
	maxDeliveryIDLen = 64
	signaturePrefix  = "sha256="
)

type webhookHandler struct {
	secret      []byte
	maxBody     int64
	onCompleted func(completedRun) bool
	onActive    func(completedRun)
	observe     func(event, outcome string)
	deliveries  *deliveryLog
}

// newWebhookHandler returns the handler for GitHub webhook deliveries. Every
// delivery must carry a valid X-Hub-Signature-256 for secret (an empty secret
// refuses all of them). A completed workflow_run calls onCompleted, which
// must not block and reports whether it took the run; if not, the delivery is
// answered 503 and not remembered, so that its redelivery is taken. A
// requested or in-progress one calls onActive (may be nil; must not block).
// observe (may be nil) is told the event and outcome of each request.
func newWebhookHandler(secret []byte, maxBody int64, onCompleted func(completedRun) bool, onActive func(completedRun), observe func(event, outcome string)) http.Handler {
	if observe == nil {
		observe = func(string, string) {}
	}
	return &webhookHandler{
		secret:      secret,
		maxBody:     maxBody,
		onCompleted: onCompleted,
		onActive:    onActive,
		observe:     observe,
		deliveries:  newDeliveryLog(deliveryLogSize),
	}
}

func eventLabel(event string) string {
	switch event {
	case eventPing, eventWorkflowRun, eventWorkflowJob:
		return event
	default:
		return eventOther
	}
}

func (h *webhookHandler) fail(w http.ResponseWriter, event, outcome string, code int) {
	h.observe(event, outcome)
	http.Error(w, http.StatusText(code), code)
}

func (h *webhookHandler) ok(w http.ResponseWriter, event, outcome string, code int) {
	h.observe(event, outcome)
	w.WriteHeader(code)
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event := r.Header.Get(github.EventTypeHeader)
	label := eventLabel(event)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, label, outcomeBadMethod, http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > h.maxBody {
		h.fail(w, label, outcomeTooLarge, http.StatusRequestEntityTooLarge)
		return
	}
	body, err := readBody(w, r, h.maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, label, outcomeTooLarge, http.StatusRequestEntityTooLarge)
			return
		}
		h.fail(w, label, outcomeMalformed, http.StatusBadRequest)
		return
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/json" && mediaType != "application/x-www-form-urlencoded") {
		h.fail(w, label, outcomeUnsupportedMedia, http.StatusUnsupportedMediaType)
		return
	}
	// go-github compares the HMAC with hmac.Equal (constant time). It skips
	// the check when secret and signature are both empty and also accepts
	// SHA-1 signatures, so both are refused here first. A JSON body is the
	// payload itself; a form body carries it in its "payload" field.
	signature := r.Header.Get(github.SHA256SignatureHeader)
	if len(h.secret) == 0 || !strings.HasPrefix(signature, signaturePrefix) {
		h.fail(w, label, outcomeUnauthorized, http.StatusUnauthorized)
		return
	}
	payload := body
	if mediaType == "application/json" {
		err = github.ValidateSignature(signature, body, h.secret)
	} else {
		payload, err = github.ValidatePayloadFromBody(mediaType, bytes.NewReader(body), signature, h.secret)
	}
	if err != nil {
		h.fail(w, label, outcomeUnauthorized, http.StatusUnauthorized)
		return
	}

	delivery := r.Header.Get(github.DeliveryIDHeader)
	if h.deliveries.contains(delivery) {
		h.ok(w, label, outcomeDuplicate, http.StatusOK)
		return
	}
	switch event {
	case eventPing:
		h.deliveries.add(delivery)
		h.ok(w, label, outcomePing, http.StatusOK)
	case eventWorkflowRun:
		run, completed, err := parseWorkflowRun(payload)
		if err != nil {
			h.fail(w, label, outcomeMalformed, http.StatusBadRequest)
			return
		}
		// add reports false when a concurrent request with the same id got
		// there first: only one of them calls back.
		if !h.deliveries.add(delivery) {
			h.ok(w, label, outcomeDuplicate, http.StatusOK)
			return
		}
		if !completed {
			if run.State == "" || h.onActive == nil {
				h.ok(w, label, outcomeIgnored, http.StatusOK)
				return
			}
			h.onActive(run)
			h.ok(w, label, outcomeActive, http.StatusOK)
			return
		}
		if !h.onCompleted(run) {
			h.deliveries.remove(delivery)
			h.fail(w, label, outcomeQueueFull, http.StatusServiceUnavailable)
			return
		}
		h.ok(w, label, outcomeAccepted, http.StatusAccepted)
	default:
		h.deliveries.add(delivery)
		h.ok(w, label, outcomeIgnored, http.StatusOK)
	}
}

// readBody reads at most maxBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, error) {
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength)) // at most maxBody, checked by the caller
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	return buf.Bytes(), err
}

var errIncompleteRun = errors.New("completed workflow_run without repository or run id")

// workflowRunDelivery is the part of a workflow_run delivery
// (github.WorkflowRunEvent) the receiver needs: the action, the repository
// and the run object, which is the attempt as the API returns it.
type workflowRunDelivery struct {
	Action      string              `json:"action"`
	Repository  *repoRef            `json:"repository"`
	WorkflowRun *github.WorkflowRun `json:"workflow_run"`
}

type repoRef struct {
	FullName string `json:"full_name"`
}

func (r *repoRef) fullName() string {
	if r == nil {
		return ""
	}
	return r.FullName
}

// parseWorkflowRun decodes a workflow_run delivery. completed reports whether
// its action is "completed"; then run is filled in, with the delivered run
// object if it can be emitted as is. A "requested" or "in_progress" delivery
// naming its run fills in run without its object, with State set.
func parseWorkflowRun(payload []byte) (run completedRun, completed bool, err error) {
	var ev workflowRunDelivery
	if err := json.Unmarshal(payload, &ev); err != nil {
		return completedRun{}, false, err
	}
	wr := ev.WorkflowRun
	if ev.Action != "completed" {
		state := map[string]string{"requested": runStatePending, "in_progress": runStateExecuting}[ev.Action]
		if state == "" || wr == nil {
			return completedRun{}, false, nil
		}
		repo := ev.Repository.fullName()
		if repo == "" {
			repo = wr.GetRepository().GetFullName()
		}
		if _, _, ok := strings.Cut(repo, "/"); !ok || wr.GetID() <= 0 {
			return completedRun{}, false, nil
		}
		return completedRun{Repo: repo, RunID: wr.GetID(), Attempt: max(wr.GetRunAttempt(), 1), State: state}, false, nil
	}
	if wr == nil {
		return completedRun{}, false, errIncompleteRun
	}
	repo := ev.Repository.fullName()
	if repo == "" {
		repo = wr.GetRepository().GetFullName()
	}
	if _, _, ok := strings.Cut(repo, "/"); !ok || wr.GetID() <= 0 {
		return completedRun{}, false, errIncompleteRun
	}
	cr := completedRun{Repo: repo, RunID: wr.GetID(), Attempt: max(wr.GetRunAttempt(), 1)}
	if emittable(wr) {
		cr.Run = wr
	}
	return cr, true, nil
}

// emittable reports whether a delivered run object holds everything a trace
// needs, so that only its jobs are fetched: its id, attempt, status and
// conclusion, and the timestamps of the root span.
func emittable(wr *github.WorkflowRun) bool {
	return wr.GetID() > 0 && wr.GetRunAttempt() > 0 &&
		wr.GetStatus() == statusCompleted && wr.GetConclusion() != "" &&
		!wr.GetCreatedAt().IsZero() && !wr.GetRunStartedAt().IsZero() && !wr.GetUpdatedAt().IsZero()
}

// deliveryLog remembers the last size delivery ids (FIFO eviction). It
// grows as ids arrive, up to size.
type deliveryLog struct {
	mu   sync.Mutex
	size int
	ids  map[string]int // id -> its slot in ring
	ring []string       // insertion order; once full, ring[next] is the oldest
	next int
}

func newDeliveryLog(size int) *deliveryLog {
	return &deliveryLog{size: max(size, 1), ids: make(map[string]int)}
}

func deliveryKey(id string) string {
	if len(id) <= maxDeliveryIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return string(sum[:])
}

// contains reports whether id was added; an empty id is never remembered.
func (d *deliveryLog) contains(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.ids[deliveryKey(id)]
	return ok
}

// add remembers id and reports whether it was new. An empty id is always new.
func (d *deliveryLog) add(id string) bool {
	if id == "" {
		return true
	}
	key := deliveryKey(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.ids[key]; ok {
		return false
	}
	slot := len(d.ring)
	if slot < d.size {
		d.ring = append(d.ring, key)
	} else {
		slot = d.next
		// The slot may be stale (its id removed, perhaps added again elsewhere).
		if old := d.ring[slot]; d.ids[old] == slot {
			delete(d.ids, old)
		}
		d.ring[slot] = key
		d.next = (d.next + 1) % d.size
	}
	d.ids[key] = slot
	return true
}

// remove forgets id, so that a redelivery with it is taken.
func (d *deliveryLog) remove(id string) {
	if id == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.ids, deliveryKey(id))
}
