package pgtest // import "github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoPgbouncer is returned when the pgbouncer binary is missing.
var ErrNoPgbouncer = errors.New("pgbouncer not found: install the Debian package pgbouncer (/usr/sbin/pgbouncer) or set PGBOUNCER")

// Pgbouncer is a pgbouncer in pool_mode=transaction on a free 127.0.0.1 port in front of a
// Cluster: every database of the cluster, the superuser with trust authentication, and short
// timeouts so that an outage behind it surfaces as errors within seconds.
type Pgbouncer struct {
	bin  string
	dir  string
	port int
	cred *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
}

// FindPgbouncer returns $PGBOUNCER or /usr/sbin/pgbouncer.
func FindPgbouncer() (string, error) {
	bin := os.Getenv("PGBOUNCER")
	if bin == "" {
		bin = "/usr/sbin/pgbouncer"
	}
	if !isExecutable(bin) {
		return "", ErrNoPgbouncer
	}
	return bin, nil
}

// StartPgbouncer starts a transaction-mode pgbouncer in front of c. Close it when done.
func (c *Cluster) StartPgbouncer() (*Pgbouncer, error) {
	bin, err := FindPgbouncer()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.dir, "pgbouncer")
	if err := c.mkdirOwned(dir); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ini := strings.Join([]string{
		"[databases]",
		fmt.Sprintf("* = host=127.0.0.1 port=%d", c.port),
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(port),
		"unix_socket_dir =",
		"auth_type = trust",
		"auth_file = " + filepath.Join(dir, "userlist.txt"),
		"pool_mode = transaction",
		"admin_users = " + Superuser, // SHOW CLIENTS, SHOW POOLS on the pgbouncer console
		"default_pool_size = 2",
		"max_client_conn = 200",
		// Surface a database outage within seconds rather than pgbouncer's minutes.
		"server_login_retry = 1",
		"query_wait_timeout = 5",
		"server_connect_timeout = 2",
		"ignore_startup_parameters = extra_float_digits",
		"",
	}, "\n")
	files := map[string]string{
		"pgbouncer.ini": ini,
		"userlist.txt":  fmt.Sprintf("%q \"\"\n", Superuser),
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			return nil, err
		}
		if c.cred != nil {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	b := &Pgbouncer{bin: bin, dir: dir, port: port, cred: c.cred}
	if err := b.Start(); err != nil {
		return nil, err
	}
	return b, nil
}

// Start starts the (stopped) pgbouncer on its port and waits until it accepts connections.
func (b *Pgbouncer) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(b.dir, "pgbouncer.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }()
	cmd := exec.Command(b.bin, filepath.Join(b.dir, "pgbouncer.ini"))
	cmd.Dir = b.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if b.cred != nil {
		// pgbouncer refuses to run as root; the cluster's OS user runs it then.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: b.cred}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start pgbouncer: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("pgbouncer exited at start: %w\n%s", err, b.Log())
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			b.cmd, b.exited = cmd, exited
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("pgbouncer does not listen on %s: %w (then killed: %v)\n%s", addr, err, <-exited, b.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts pgbouncer down at once (SIGTERM: every client and server connection is cut), as an
// outage of the pooler. Start brings it back on the same port.
func (b *Pgbouncer) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return nil
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.exited:
		_ = err // SIGTERM's exit status
	case <-time.After(30 * time.Second):
		_ = b.cmd.Process.Kill()
		_ = <-b.exited //nolint:staticcheck // errcheck counts a bare receive of an error
	}
	b.cmd = nil
	return nil
}

// Close stops pgbouncer; its files go with the cluster's.
func (b *Pgbouncer) Close() error { return b.Stop() }

// Log returns pgbouncer's log.
func (b *Pgbouncer) Log() string {
	out, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
	return string(out)
}

// Port is pgbouncer's TCP port on 127.0.0.1.
func (b *Pgbouncer) Port() int { return b.port }

// DSN is the superuser's connection URL to database db through pgbouncer.
func (b *Pgbouncer) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, b.port, db)
}

// Route returns the DSN through pgbouncer of the database a cluster DSN names.
func (b *Pgbouncer) Route(clusterDSN string) (string, error) {
	u, err := url.Parse(clusterDSN)
	if err != nil {
		return "", err
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	return u.String(), nil
}
