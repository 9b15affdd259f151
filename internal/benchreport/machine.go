package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Machine describes where the benchmarks ran.
type Machine struct {
	CPUs   int
	Model  string // the first "model name" of /proc/cpuinfo
	Kernel string // /proc/sys/kernel/osrelease
}

// readMachine reads the CPU model and kernel release under procRoot
// (/proc, or a fixture directory in tests).
func readMachine(procRoot string, cpus int) (Machine, error) {
	m := Machine{CPUs: cpus}
	info, err := os.ReadFile(filepath.Join(procRoot, "cpuinfo"))
	if err != nil {
		return m, fmt.Errorf("read cpu model: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(info))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			m.Model = strings.TrimSpace(value)
			break
		}
	}
	if m.Model == "" {
		m.Model = "unknown CPU model"
	}
	rel, err := os.ReadFile(filepath.Join(procRoot, "sys", "kernel", "osrelease"))
	if err != nil {
		return m, fmt.Errorf("read kernel release: %w", err)
	}
	m.Kernel = strings.TrimSpace(string(rel))
	return m, nil
}

// readLoad returns the 1, 5 and 15 minute load averages under procRoot.
func readLoad(procRoot string) (string, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "loadavg"))
	if err != nil {
		return "", fmt.Errorf("read load average: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "", fmt.Errorf("read load average: unexpected %q", b)
	}
	return strings.Join(f[:3], " "), nil
}

// loadNote says what the load was while the benchmarks ran: the
// "load-start:" and "load-end:" lines `make bench` writes, and the load now.
func loadNote(s *Set, now string) string {
	var parts []string
	if v := s.Config["load-start"]; v != "" {
		parts = append(parts, v+" before the benchmarks")
	}
	if v := s.Config["load-end"]; v != "" {
		parts = append(parts, v+" after them")
	}
	if len(parts) == 0 && now != "" {
		parts = append(parts, now+" when the report was written")
	}
	return strings.Join(parts, ", ")
}
