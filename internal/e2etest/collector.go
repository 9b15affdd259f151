package e2etest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Collector is a running otelcol-diagnostics process.
type Collector struct {
	t      testing.TB
	cmd    *exec.Cmd
	output *SyncBuffer
	done   chan struct{}
	err    error
}

// Start writes config to a temporary file and runs the binary with it. The
// process is stopped with SIGTERM at the end of the test if still running.
// Extra environment variables are given as KEY=VALUE.
func Start(t testing.TB, config string, env ...string) *Collector {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	return StartFile(t, path, env...)
}

// StartFile runs the binary with an existing config file.
func StartFile(t testing.TB, path string, env ...string) *Collector {
	t.Helper()
	return StartCommand(t, Binary(t), []string{"--config", path}, env...)
}

// StartCommand runs bin (a collector binary, e.g. one a package installed) with args.
func StartCommand(t testing.TB, bin string, args []string, env ...string) *Collector {
	t.Helper()
	c := &Collector{t: t, output: &SyncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout = c.output
	c.cmd.Stderr = c.output
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start collector: %v", err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if err := c.Stop(5 * time.Second); err != nil {
			t.Errorf("stop collector: %v", err)
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", c.Output())
		}
	})
	return c
}

// Output is everything the process wrote so far.
func (c *Collector) Output() string { return c.output.String() }

// Exited reports whether the process has ended.
func (c *Collector) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to timeout for a clean exit. It returns
// an error when the process had to be killed or exited non-zero. Calling it
// again after the process ended returns the first outcome.
func (c *Collector) Stop(timeout time.Duration) error {
	if !c.Exited() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("collector did not exit within %s of SIGTERM", timeout)
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it. The kill is the
// test's intent, so a later Stop reports no error for it.
func (c *Collector) Kill() {
	if !c.Exited() {
		_ = c.cmd.Process.Kill()
	}
	<-c.done
	c.err = nil
}

// WaitHTTP waits until url answers 200 or the process exits, failing the
// test after timeout.
func (c *Collector) WaitHTTP(url string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if c.Exited() {
			c.t.Fatalf("collector exited before %s answered: %v\n%s", url, c.err, c.Output())
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s did not answer 200 within %s (last error: %v)\n%s", url, timeout, err, c.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// Eventually polls cond until it is true, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, fmt.Sprintf(msg, args...))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SyncBuffer collects a subprocess's output safely for concurrent reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
