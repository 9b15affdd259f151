package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/exporter"
)

// sharedExporters holds the one pgExporter of each postgres config, so that the metrics, traces
// and logs pipelines naming that config share one pool, one migration and one retention loop, as
// otlpreceiver shares its servers. Unlike otlpreceiver's shared component, the exporter stops
// after the LAST pipeline's Shutdown: each pipeline has its own exporterhelper queue, drained in
// its own Shutdown, and the pool must outlive every drain.
type sharedExporters struct {
	mu sync.Mutex
	m  map[*Config]*sharedExporter
}

type sharedExporter struct {
	exp   *pgExporter
	uses  int // pipelines created and not yet shut down
	start sync.Once
	err   error
	hosts fanoutHost
}

func newSharedExporters() *sharedExporters {
	return &sharedExporters{m: map[*Config]*sharedExporter{}}
}

// use returns one pipeline's handle on the exporter of cfg, creating the exporter for the first.
// The collector hands every pipeline of one component the same *Config.
func (s *sharedExporters) use(set exporter.Settings, cfg *Config) (*pipelineUse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.m[cfg]
	if !ok {
		e, err := newExporter(set, cfg)
		if err != nil {
			return nil, err
		}
		se = &sharedExporter{exp: e}
		s.m[cfg] = se
	}
	se.uses++
	return &pipelineUse{owner: s, cfg: cfg, se: se}, nil
}

// release drops one use of cfg's exporter and reports whether it was the last one, in which
// case the exporter is forgotten: a later pipeline with this config (a reload) gets a new one.
func (s *sharedExporters) release(cfg *Config) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.m[cfg]
	se.uses--
	if se.uses > 0 {
		return false
	}
	delete(s.m, cfg)
	return true
}

// pipelineUse is one pipeline's hold on a shared exporter: its Start starts the exporter once for
// all, its Shutdown stops it when no other pipeline holds it any more.
type pipelineUse struct {
	owner    *sharedExporters
	cfg      *Config
	se       *sharedExporter
	stopOnce sync.Once
}

func (u *pipelineUse) exporter() *pgExporter { return u.se.exp }

func (u *pipelineUse) start(ctx context.Context, host component.Host) error {
	u.se.hosts.add(host)
	u.se.start.Do(func() { u.se.err = u.se.exp.start(ctx, &u.se.hosts) })
	return u.se.err
}

func (u *pipelineUse) shutdown(ctx context.Context) error {
	var err error
	u.stopOnce.Do(func() {
		if u.owner.release(u.cfg) {
			err = u.se.exp.shutdown(ctx)
		}
	})
	return err
}

// fanoutHost reports the shared exporter's status to the host of every pipeline using it; a
// pipeline that starts later first hears the last status reported.
type fanoutHost struct {
	mu    sync.Mutex
	hosts []component.Host
	last  *componentstatus.Event
}

var (
	_ component.Host           = (*fanoutHost)(nil)
	_ componentstatus.Reporter = (*fanoutHost)(nil)
)

func (h *fanoutHost) add(host component.Host) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hosts = append(h.hosts, host)
	if h.last != nil {
		componentstatus.ReportStatus(host, h.last)
	}
}

func (h *fanoutHost) GetExtensions() map[component.ID]component.Component {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.hosts) == 0 {
		return nil
	}
	return h.hosts[0].GetExtensions()
}

func (h *fanoutHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = ev
	for _, host := range h.hosts {
		componentstatus.ReportStatus(host, ev)
	}
}
