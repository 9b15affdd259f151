package githubworkflowreceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

const mixedCaseRepo = "Octo-Org/Octo-Repo"

// The done records of a repository configured in mixed case are pruned from the storage
// extension once past the retention, the legacy ones too.
func TestPruneMixedCaseRepository(t *testing.T) {
	w := newWorld(t)
	w.gh.AddRepo("Organization", "Octo-Org", "Octo-Repo")
	w.put(mixedCaseRepo, 1, 1, time.Hour, "completed", 1)
	host, id := newFileStorage(t, t.TempDir())
	cfg := w.config(mixedCaseRepo)
	cfg.StorageID = &id
	in := w.newInstance(t, cfg, host)
	repo := repoOf(t, in.r.poller, mixedCaseRepo)
	day := dayOf(testNow.Add(-time.Hour))
	bucket := bucketKey{repo: repo.key, day: day}
	// A record an earlier version wrote, keyed without the host.
	require.NoError(t, in.r.storage.Set(t.Context(), "done/octo-org/octo-repo/"+dayOf(testNow.Add(-24*time.Hour)), []byte(`{"9":[1]}`)))

	in.poll(t)
	require.Equal(t, []string{"1/1"}, in.attempts())
	raw, err := in.r.storage.Get(t.Context(), bucket.storageKey())
	require.NoError(t, err)
	require.JSONEq(t, `{"1":[1]}`, string(raw))

	w.clock.advance(retention + 2*24*time.Hour)
	in.poll(t)
	for _, key := range []string{bucket.storageKey(), "done/octo-org/octo-repo/" + dayOf(testNow.Add(-24*time.Hour))} {
		raw, err = in.r.storage.Get(t.Context(), key)
		require.NoError(t, err)
		assert.Nil(t, raw, "%s deleted from the storage", key)
	}
	in.r.state.mu.Lock()
	_, kept := in.r.state.buckets[bucket]
	in.r.state.mu.Unlock()
	assert.False(t, kept, "and from memory")
	assert.Equal(t, []string{"1/1"}, in.attempts(), "nothing emitted again")
}

// State stored before the repository key held the API host is read on upgrade: nothing is
// emitted twice, and the legacy repository record is replaced by the new one.
func TestLegacyStateIsRead(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Hour, "completed", 1)
	w.put(testRepo, 2, 1, time.Minute, "completed", 1)
	host, id := newFileStorage(t, t.TempDir())
	cfg := w.config(testRepo)
	cfg.StorageID = &id
	in := w.newInstance(t, cfg, host)
	repo := repoOf(t, in.r.poller, testRepo)
	legacy := `{"floor":"2026-11-23T12:00:00Z","synced":true,"watermark":"2026-11-24T11:00:00Z","pruned_through":"2026-11-23T12:00:00Z"}`
	require.NoError(t, in.r.storage.Set(t.Context(), "repo/"+testRepo, []byte(legacy)))
	require.NoError(t, in.r.storage.Set(t.Context(), "done/"+testRepo+"/"+dayOf(testNow.Add(-time.Hour)), []byte(`{"1":[1]}`)))

	in.poll(t)
	assert.Equal(t, []string{"2/1"}, in.attempts(), "run 1 was done before the upgrade")
	raw, err := in.r.storage.Get(t.Context(), "repo/"+testRepo)
	require.NoError(t, err)
	assert.Nil(t, raw, "the legacy record is deleted once the new one is stored")
	raw, err = in.r.storage.Get(t.Context(), repoStorageKey(repo.key))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"floor":"2026-11-23T12:00:00Z"`)
}

// Active runs a delivery announces under one spelling and settles under another count as
// one repository's, in cicd.pipeline.run.active.
func TestActiveGaugeMixedCaseDeliveries(t *testing.T) {
	w := newWorld(t)
	w.gh.AddRepo("Organization", "Octo-Org", "Octo-Repo")
	w.put(mixedCaseRepo, 1, 1, time.Hour, "completed", 1)
	in := w.newInstance(t, w.config(mixedCaseRepo), nil)
	p := in.r.poller
	p.webhooks = true
	in.poll(t)
	deliver := func(spelling string, id int64) {
		w.put(mixedCaseRepo, id, 1, 10*time.Minute, "completed", 1)
		p.fetchAnnounced(t.Context(), completedRun{
			Repo: spelling, RunID: id, Attempt: 1,
			Run: fakegithub.ShapeRun(w.run, spelling, id, 1, w.clock.Now().Add(-10*time.Minute), "completed", "success"),
		})
	}
	gauge := func() map[string]int64 {
		in.poll(t)
		p.emitter.flushMetrics(t.Context())
		return activeRuns(t, in)
	}

	deliver("octo-org/octo-repo", 2)
	w.clock.advance(time.Minute)
	assert.Empty(t, gauge())
	require.True(t, p.lastPages(repoOf(t, p, mixedCaseRepo).key).covered)

	p.announceActive(completedRun{Repo: "octo-org/octo-repo", RunID: 3, Attempt: 1, State: runStatePending})
	p.announceActive(completedRun{Repo: "OCTO-ORG/octo-repo", RunID: 4, Attempt: 1, State: runStateExecuting})
	w.clock.advance(time.Minute)
	assert.Equal(t, map[string]int64{"pending": 1, "executing": 1}, gauge())

	deliver("Octo-org/OCTO-REPO", 3)
	w.clock.advance(time.Minute)
	assert.Equal(t, map[string]int64{"executing": 1}, gauge(), "settled under another spelling")
	assert.Equal(t, []string{"1/1", "2/1", "3/1"}, in.attempts())

	// The emitted telemetry names the repository one way.
	for _, md := range in.metrics.AllMetrics() {
		rm := md.ResourceMetrics()
		for i := range rm.Len() {
			sm := rm.At(i).ScopeMetrics().At(0).Metrics()
			for j := range sm.Len() {
				if sm.At(j).Name() != "cicd.pipeline.run.duration" {
					continue
				}
				dps := sm.At(j).Histogram().DataPoints()
				for k := range dps.Len() {
					v, _ := dps.At(k).Attributes().Get("vcs.repository.name")
					assert.Equal(t, "octo-repo", v.Str())
				}
			}
		}
	}
}

func TestNewRepository(t *testing.T) {
	tests := []struct {
		host, fullName string
		wantKey        string
		wantOK         bool
	}{
		{"api.github.com", "octo/app", "api.github.com/octo/app", true},
		{"API.GitHub.com", "Octo/App", "api.github.com/octo/app", true},
		{"ghe.example.com", "Octo-Org/Hello.World", "ghe.example.com/octo-org/hello.world", true},
		{"api.github.com", "octo", "", false},
		{"api.github.com", "/app", "", false},
		{"api.github.com", "octo/", "", false},
		{"api.github.com", "octo/app/x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.host+" "+tt.fullName, func(t *testing.T) {
			r, ok := newRepository(tt.host, tt.fullName)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantKey, r.key)
		})
	}
}

// FuzzNewRepository: a delivery's repository full_name is outside input. Whatever it holds,
// the key is case-folded, made of the host and the returned owner/name, the same for any
// spelling of the name, and stable when made again from its own fullName.
func FuzzNewRepository(f *testing.F) {
	for _, s := range []string{"octo-org/octo-repo", "Octo/App", "a/b/c", "/x", "x/", "", "ÄÖ/ü", "İ/ı", "o/r.git"} {
		f.Add("api.github.com", s)
	}
	f.Add("GHE.Example.com", "Octo-Org/Hello.World")
	f.Fuzz(func(t *testing.T, host, fullName string) {
		r, ok := newRepository(host, fullName)
		if !ok {
			return
		}
		assert.Equal(t, strings.ToLower(r.key), r.key)
		assert.Equal(t, strings.ToLower(host)+"/"+r.fullName(), r.key)
		assert.Equal(t, 1, strings.Count(r.fullName(), "/"))
		again, ok := newRepository(host, r.fullName())
		require.True(t, ok)
		assert.Equal(t, r.key, again.key)
		upper, ok := newRepository(strings.ToUpper(host), strings.ToUpper(fullName))
		if ok && strings.EqualFold(strings.ToUpper(fullName), fullName) && strings.EqualFold(strings.ToUpper(host), host) {
			assert.Equal(t, r.key, upper.key)
		}
	})
}
