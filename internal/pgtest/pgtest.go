// Package pgtest runs a throwaway PostgreSQL cluster for integration tests: initdb in a temporary
// directory, the server on a free 127.0.0.1 port with its unix socket inside that directory, one
// fresh database per test. It uses the Debian server binaries (/usr/lib/postgresql/*/bin, or
// $PG_BINDIR) and fails with a clear error when they are missing. Run as root, it runs the server
// as the `postgres` OS user, because initdb refuses to run as root. StartPgbouncer puts Debian's
// pgbouncer in transaction mode in front of a cluster (pgbouncer.go).
package pgtest // import "github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoServer is returned when no PostgreSQL server binaries are installed.
var ErrNoServer = errors.New("PostgreSQL server binaries not found: install the Debian package postgresql (initdb and pg_ctl in /usr/lib/postgresql/<version>/bin) or set PG_BINDIR")

// Superuser is the cluster's superuser; it authenticates with trust on loopback.
const Superuser = "postgres"

// Cluster is a running (or stopped) throwaway PostgreSQL cluster.
type Cluster struct {
	bindir string
	dir    string
	data   string
	port   int
	cred   *syscall.Credential
	dbs    atomic.Int64

	mu      sync.Mutex
	running bool
}

// FindBinDir returns the directory holding initdb and pg_ctl: $PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin.
func FindBinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
		return "", fmt.Errorf("%w (PG_BINDIR=%s holds no initdb and pg_ctl)", ErrNoServer, d)
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, m := range matches {
		d := filepath.Dir(m)
		if isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func versionOf(initdb string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(initdb))), 64)
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p) //nolint:gosec // a path of the test operator's choosing (PG_BINDIR) is the point

	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start creates and starts a cluster. Close it when done.
func Start() (*Cluster, error) {
	bindir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bindir: bindir, dir: dir, data: filepath.Join(dir, "data")}
	if err := c.init(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// The port was free a moment ago; if another process took it meanwhile, take another.
	for attempt := 0; ; attempt++ {
		err := c.Start()
		if err == nil {
			return c, nil
		}
		if attempt == 3 || !strings.Contains(c.Log(), "could not bind") {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		if c.port, err = freePort(); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

func (c *Cluster) init() error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root needs the postgres OS user to run the server: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(c.dir, int(uid), int(gid)); err != nil {
			return err
		}
	}
	if err := c.mkdirOwned(filepath.Join(c.dir, "sock")); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	_, err = c.run("initdb", "-D", c.data, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
	return err
}

func (c *Cluster) mkdirOwned(p string) error {
	if err := os.Mkdir(p, 0o700); err != nil {
		return err
	}
	if c.cred != nil {
		return os.Chown(p, int(c.cred.Uid), int(c.cred.Gid))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func (c *Cluster) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.bindir, tool), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// Start starts the (stopped) server on its port and waits until it accepts connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	opts := strings.Join([]string{
		"-p", strconv.Itoa(c.port),
		"-k", filepath.Join(c.dir, "sock"),
		"-c", "listen_addresses=127.0.0.1",
		// A throwaway cluster: durability only costs time here.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200",
	}, " ")
	if _, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return fmt.Errorf("start PostgreSQL: %w\nserver log:\n%s", err, c.Log())
	}
	c.running = true
	return nil
}

// Stop shuts the server down ("fast": clients are disconnected at once), as a database outage.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if _, err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return err
	}
	c.running = false
	return nil
}

// Close stops the server and removes the cluster's files.
func (c *Cluster) Close() error {
	err := c.Stop()
	return errors.Join(err, os.RemoveAll(c.dir))
}

// Log returns the server log.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

// Dir is the cluster's directory, which the server may read and write (server-side COPY files).
func (c *Cluster) Dir() string { return c.dir }

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// DSN is the superuser's connection URL to database db over loopback TCP.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.port, db)
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates a fresh database for t, dropped when t ends, and returns its DSN.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t%d_%s", c.dbs.Add(1), name)
	if err := c.admin(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// The server may have been stopped by the test; then the database goes with the cluster.
		c.mu.Lock()
		running := c.running
		c.mu.Unlock()
		if running {
			if err := c.admin(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		}
	})
	return c.DSN(name)
}

func (c *Cluster) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sql)
	return errors.Join(err, conn.Close(context.Background()))
}
