package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux architecture Go
// supports.
const clockTick = 10 * time.Millisecond

// cpuWatch measures the CPU the collector and the PostgreSQL server spend over one run, to tell
// which side a throughput figure is bound by. The collector is the only child this process reaps
// meanwhile, and counts with its whole life (start-up included); the server is the postmaster
// with every child it has, living or reaped (backends, autovacuum, WAL writer, checkpointer).
type cpuWatch struct {
	postmaster           int
	children, postgresql time.Duration
}

func startCPU(ctx context.Context, conn *pgx.Conn) (*cpuWatch, error) {
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return nil, fmt.Errorf("backend pid: %w", err)
	}
	st, err := procStat(backend)
	if err != nil {
		return nil, err
	}
	w := &cpuWatch{postmaster: st.ppid}
	if w.postgresql, err = serverCPU(w.postmaster); err != nil {
		return nil, err
	}
	w.children, err = reapedChildrenCPU()
	return w, err
}

// stop returns the CPU spent since startCPU; call it after the collector has exited.
func (w *cpuWatch) stop() (collector, server time.Duration, err error) {
	children, err := reapedChildrenCPU()
	if err != nil {
		return 0, 0, err
	}
	postgresql, err := serverCPU(w.postmaster)
	return children - w.children, postgresql - w.postgresql, err
}

// selfCPU is this process's CPU: the load client's, while it sends.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func reapedChildrenCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// serverCPU is the postmaster's CPU, its reaped children's, and its living children's.
func serverCPU(postmaster int) (time.Duration, error) {
	pm, err := procStat(postmaster)
	if err != nil {
		return 0, err
	}
	total := pm.self + pm.reaped
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(dir))
		st, err := procStat(pid)
		if err != nil || st.ppid != postmaster {
			continue // gone meanwhile, or not the server's
		}
		total += st.self
	}
	return total, nil
}

type stat struct {
	ppid         int
	self, reaped time.Duration // utime+stime, cutime+cstime
}

// procStat reads /proc/<pid>/stat (proc(5)).
func procStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// Fields from the 3rd on follow the parenthesised command name, which may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 15 {
		return stat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	n := func(k int) time.Duration {
		v, _ := strconv.ParseInt(f[k], 10, 64)
		return time.Duration(v) * clockTick
	}
	ppid, _ := strconv.Atoi(f[1])
	return stat{ppid: ppid, self: n(11) + n(12), reaped: n(13) + n(14)}, nil
}
