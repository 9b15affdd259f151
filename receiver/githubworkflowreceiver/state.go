package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// retention is how long after its creation a run can still get a new attempt: GitHub allows
// re-runs for 30 days. Runs created earlier are never emitted, and their records are dropped.
const retention = 31 * 24 * time.Hour

const dayLayout = "2006-01-02"

// attemptID names one attempt of one run.
type attemptID struct {
	Repo    string // repository.key
	RunID   int64
	Attempt int
}

// repoState is what the poller remembers of a repository between polls and restarts.
type repoState struct {
	// Floor: attempts last updated before it are never emitted (first sync time − lookback).
	Floor time.Time `json:"floor"`
	// Synced is set once the first sync within the lookback completed.
	Synced bool `json:"synced"`
	// Watermark is the creation time of the newest run seen.
	Watermark time.Time `json:"watermark"`
	// Pending maps runs seen queued or in progress to their attempt number.
	Pending map[int64]int `json:"pending,omitempty"`
	// PrunedThrough: the done-buckets of days before it were deleted.
	PrunedThrough time.Time `json:"pruned_through"`
}

// stateStore keeps, per repository, the done attempts (emitted, or too old to emit) and
// the poll watermarks. With a storage client they survive restarts: done attempts are kept
// in one record per repository and run creation day ("done/{key}/{day}"), written as soon
// as an attempt is emitted, so that a crash right after an emission loses nothing and
// repeats nothing; the watermarks in "repo/{key}". {key} is the repository's key (API host
// and case-folded owner/name). Records stored before the key held the host
// ("done/{owner}/{name}/{day}", "repo/{owner}/{name}") are read when the new one is absent:
// an upgrade re-emits nothing.
type stateStore struct {
	client   storage.Client // nil: memory only
	clock    clock
	lookback time.Duration

	mu    sync.Mutex
	repos map[string]*repoState // by repository key
	// legacy: repositories whose record was read under its legacy key; the next save
	// deletes that key.
	legacy   map[string]bool
	buckets  map[bucketKey]map[int64][]int
	inflight map[attemptID]bool
	// hooked: the attempts emitted since Start because a webhook delivery named them. Only
	// these make a repository webhook-covered; it lives in memory, so after a restart a
	// repository is covered again only once deliveries named it anew.
	hooked map[bucketKey]map[int64][]int
}

type bucketKey struct {
	repo string
	day  string
}

func newStateStore(client storage.Client, clk clock, lookback time.Duration) *stateStore {
	return &stateStore{
		client:   client,
		clock:    clk,
		lookback: lookback,
		repos:    map[string]*repoState{},
		legacy:   map[string]bool{},
		buckets:  map[bucketKey]map[int64][]int{},
		inflight: map[attemptID]bool{},
		hooked:   map[bucketKey]map[int64][]int{},
	}
}

func repoStorageKey(key string) string { return "repo/" + key }
func (k bucketKey) storageKey() string { return "done/" + k.repo + "/" + k.day }
func dayOf(t time.Time) string         { return t.UTC().Format(dayLayout) }
func newBucketKey(key string, created time.Time) bucketKey {
	return bucketKey{repo: key, day: dayOf(created)}
}

// withoutHost is the part of a repository key after its host: the legacy record names
// (the done records were case-folded already; the repo records are read under this
// case-folded spelling only).
func withoutHost(key string) string {
	_, rest, _ := strings.Cut(key, "/")
	return rest
}

func legacyRepoStorageKey(key string) string { return "repo/" + withoutHost(key) }
func (k bucketKey) legacyStorageKey() string { return "done/" + withoutHost(k.repo) + "/" + k.day }

// getLocked reads key, or legacy when key is absent. fromLegacy tells which answered.
func (s *stateStore) getLocked(ctx context.Context, key, legacy string) (raw []byte, fromLegacy bool, err error) {
	raw, err = s.client.Get(ctx, key)
	if err != nil || raw != nil {
		return raw, false, err
	}
	raw, err = s.client.Get(ctx, legacy)
	return raw, raw != nil, err
}

// repo returns a copy of the state of repo, creating it (floor = now − lookback) if new.
func (s *stateStore) repo(ctx context.Context, repo repository) (repoState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.loadRepoLocked(ctx, repo)
	if err != nil {
		return repoState{}, err
	}
	cp := *rs
	cp.Pending = make(map[int64]int, len(rs.Pending))
	for k, v := range rs.Pending {
		cp.Pending[k] = v
	}
	return cp, nil
}

func (s *stateStore) loadRepoLocked(ctx context.Context, repo repository) (*repoState, error) {
	if rs, ok := s.repos[repo.key]; ok {
		return rs, nil
	}
	rs := &repoState{}
	if s.client != nil {
		b, legacy, err := s.getLocked(ctx, repoStorageKey(repo.key), legacyRepoStorageKey(repo.key))
		if err != nil {
			return nil, fmt.Errorf("read state of %s: %w", repo, err)
		}
		if b != nil {
			if err := json.Unmarshal(b, rs); err != nil {
				return nil, fmt.Errorf("decode state of %s: %w", repo, err)
			}
		}
		s.legacy[repo.key] = legacy
	}
	if rs.Floor.IsZero() {
		rs.Floor = s.clock.Now().Add(-s.lookback)
		rs.PrunedThrough = rs.Floor
	}
	s.repos[repo.key] = rs
	return rs, nil
}

// saveRepo stores the state of repo.
func (s *stateStore) saveRepo(ctx context.Context, repo repository, rs repoState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := rs
	s.repos[repo.key] = &cp
	if s.client == nil {
		return nil
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("encode state of %s: %w", repo, err)
	}
	if err := s.client.Batch(ctx, s.repoOpsLocked(repo.key, b)...); err != nil {
		return fmt.Errorf("store state of %s: %w", repo, err)
	}
	delete(s.legacy, repo.key)
	return nil
}

// repoOpsLocked stores the record b of a repository, deleting its legacy record if it was
// read from there.
func (s *stateStore) repoOpsLocked(key string, b []byte) []*storage.Operation {
	ops := []*storage.Operation{storage.SetOperation(repoStorageKey(key), b)}
	if s.legacy[key] {
		ops = append(ops, storage.DeleteOperation(legacyRepoStorageKey(key)))
	}
	return ops
}

func (s *stateStore) bucketLocked(ctx context.Context, k bucketKey) (map[int64][]int, error) {
	if b, ok := s.buckets[k]; ok {
		return b, nil
	}
	b := map[int64][]int{}
	if s.client != nil {
		raw, _, err := s.getLocked(ctx, k.storageKey(), k.legacyStorageKey())
		if err != nil {
			return nil, fmt.Errorf("read done attempts of %s on %s: %w", k.repo, k.day, err)
		}
		if raw != nil {
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, fmt.Errorf("decode done attempts of %s on %s: %w", k.repo, k.day, err)
			}
		}
	}
	s.buckets[k] = b
	return b, nil
}

// claim reserves an attempt for emission. It returns false when the attempt is done or
// being emitted by someone else (a poll and a webhook racing); a true claim must be
// followed by done or release.
func (s *stateStore) claim(ctx context.Context, id attemptID, created time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[id] {
		return false, nil
	}
	b, err := s.bucketLocked(ctx, newBucketKey(id.Repo, created))
	if err != nil {
		return false, err
	}
	if slices.Contains(b[id.RunID], id.Attempt) {
		return false, nil
	}
	s.inflight[id] = true
	return true, nil
}

// isDone reports whether the attempt was emitted (or skipped) already.
func (s *stateStore) isDone(ctx context.Context, id attemptID, created time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(ctx, newBucketKey(id.Repo, created))
	if err != nil {
		return false, err
	}
	return slices.Contains(b[id.RunID], id.Attempt), nil
}

// doneByWebhook reports whether the attempt was marked done since Start on behalf of a
// webhook delivery.
func (s *stateStore) doneByWebhook(id attemptID, created time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.hooked[newBucketKey(id.Repo, created)][id.RunID], id.Attempt)
}

// release gives up a claim without marking the attempt done (the emission failed).
func (s *stateStore) release(id attemptID) {
	s.mu.Lock()
	delete(s.inflight, id)
	s.mu.Unlock()
}

// done marks a claimed attempt as emitted (or skipped) on behalf of source (sourcePoll or
// sourceWebhook) and stores it at once. The source is kept in memory only.
func (s *stateStore) done(ctx context.Context, id attemptID, created time.Time, source string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, id)
	k := newBucketKey(id.Repo, created)
	b, err := s.bucketLocked(ctx, k)
	if err != nil {
		return err
	}
	if slices.Contains(b[id.RunID], id.Attempt) {
		return nil
	}
	if source == sourceWebhook {
		h := s.hooked[k]
		if h == nil {
			h = map[int64][]int{}
			s.hooked[k] = h
		}
		h[id.RunID] = append(h[id.RunID], id.Attempt)
	}
	b[id.RunID] = append(b[id.RunID], id.Attempt)
	if s.client == nil {
		return nil
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode done attempts of %s on %s: %w", k.repo, k.day, err)
	}
	if err := s.client.Set(ctx, k.storageKey(), raw); err != nil {
		return fmt.Errorf("store done attempts of %s on %s: %w", k.repo, k.day, err)
	}
	return nil
}

// prune drops the done records of runs created before the retention of repo, in memory and
// in the storage (legacy records too).
func (s *stateStore) prune(ctx context.Context, repo repository) error {
	cutoff := s.clock.Now().Add(-retention).UTC().Truncate(24 * time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.loadRepoLocked(ctx, repo)
	if err != nil {
		return err
	}
	from := rs.PrunedThrough.UTC().Truncate(24 * time.Hour)
	if !from.Before(cutoff) {
		return nil
	}
	var ops []*storage.Operation
	for d := from; d.Before(cutoff); d = d.Add(24 * time.Hour) {
		k := bucketKey{repo: repo.key, day: dayOf(d)}
		delete(s.buckets, k)
		delete(s.hooked, k)
		ops = append(ops, storage.DeleteOperation(k.storageKey()), storage.DeleteOperation(k.legacyStorageKey()))
	}
	rs.PrunedThrough = cutoff
	if s.client == nil {
		return nil
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("encode state of %s: %w", repo, err)
	}
	ops = append(ops, s.repoOpsLocked(repo.key, b)...)
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("prune done attempts of %s: %w", repo, err)
	}
	delete(s.legacy, repo.key)
	return nil
}
