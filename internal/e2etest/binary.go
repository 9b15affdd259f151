package e2etest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// BinaryEnv names the variable `make test` sets to the prebuilt collector.
const BinaryEnv = "OTELCOL_BINARY"

// TelemetrygenEnv names the variable `make test` sets to the telemetrygen tool.
const TelemetrygenEnv = "TELEMETRYGEN"

const telemetrygenModule = "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0"

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the collector binary: $OTELCOL_BINARY when set (as `make
// test` does), otherwise one built once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnv); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "otelcol-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "otelcol-diagnostics")
		cmd := exec.Command("go", "build", "-o", builtPath, ".")
		cmd.Dir = filepath.Join(RepoRoot(), "cmd", "otelcol-diagnostics")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build collector: %v", buildErr)
	}
	return builtPath
}

// Telemetrygen returns the telemetrygen binary: $TELEMETRYGEN when set,
// otherwise installed once from the module proxy into bin/tools.
func Telemetrygen(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(TelemetrygenEnv); p != "" {
		return p
	}
	dir := filepath.Join(RepoRoot(), "bin", "tools")
	path := filepath.Join(dir, "telemetrygen")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cmd := exec.Command("go", "install", telemetrygenModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install telemetrygen: %v\n%s", err, out)
	}
	return path
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// Command runs the binary with args to completion and returns its output.
func Command(t testing.TB, args ...string) (string, error) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), Binary(t), args...).CombinedOutput()
	return string(out), err
}
