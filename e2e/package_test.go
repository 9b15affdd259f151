package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
)

const (
	debName       = "otelcol-diagnostics"
	installedBin  = "usr/bin/otelcol-diagnostics"
	installedConf = "etc/otelcol-diagnostics/config.yaml"
	installedUnit = "lib/systemd/system/otelcol-diagnostics.service"
)

// The package `make package` builds is installed by the real dpkg into a throwaway root, as
// on a host: the installed binary accepts and runs the installed config, systemd accepts the
// installed unit, and removing the package keeps the config the operator edited.
func TestDebianPackage(t *testing.T) {
	deb := e2etest.Deb(t)
	fields := debFields(t, deb, "Package", "Architecture", "Depends")
	assert.Equal(t, debName, fields[0])
	assert.NotEmpty(t, fields[1])
	assert.Contains(t, fields[2], "libsystemd0")

	root := newDpkgRoot(t)
	runDpkg(t, root, "--install", deb)
	assert.Equal(t, "install ok installed", dpkgStatus(t, root))
	assert.Contains(t, dpkgQuery(t, root, "${Conffiles}"), "/"+installedConf)

	bin := filepath.Join(root, installedBin)
	conf := filepath.Join(root, installedConf)
	info, err := os.Stat(bin)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())

	t.Run("installed binary validates installed config", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), bin, "validate", "--config", conf)
		cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+t.TempDir())
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	})

	t.Run("systemd accepts installed unit", func(t *testing.T) {
		// The throwaway root has no systemd of its own: verify against this machine's, with
		// ExecStart pointed at the binary the package installed.
		raw, err := os.ReadFile(filepath.Join(root, installedUnit))
		require.NoError(t, err)
		require.Contains(t, string(raw), "ExecStart=/"+installedBin+" --config /"+installedConf)
		unit := filepath.Join(t.TempDir(), filepath.Base(installedUnit))
		require.NoError(t, os.WriteFile(unit, []byte(strings.ReplaceAll(string(raw), "/"+installedBin, bin)), 0o600))
		out, err := exec.CommandContext(t.Context(), "systemd-analyze", "verify", unit).CombinedOutput()
		require.NoError(t, err, string(out))
		assert.Empty(t, strings.TrimSpace(string(out)))
	})

	t.Run("installed binary starts with installed config", func(t *testing.T) {
		// The unit's environment (/etc/default) names the gateway; the ports move to free ones.
		health := e2etest.FreeAddr(t)
		col := e2etest.StartCommand(t, bin, []string{
			"--config", conf,
			"--set=extensions::health_check::endpoint=" + health,
			"--set=exporters::prometheus::endpoint=" + e2etest.FreeAddr(t),
		}, "STATE_DIRECTORY="+t.TempDir(), "OTLP_GATEWAY="+e2etest.FreeAddr(t))
		col.WaitHTTP("http://"+health+"/", 30*time.Second)
		require.NoError(t, col.Stop(10*time.Second), "clean exit on SIGTERM")
	})

	edited := "# tuned by the operator\n"
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(edited)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	runDpkg(t, root, "--remove", debName)
	assert.Equal(t, "deinstall ok config-files", dpkgStatus(t, root))
	assert.NoFileExists(t, bin)
	assert.NoFileExists(t, filepath.Join(root, installedUnit))
	kept, err := os.ReadFile(conf)
	require.NoError(t, err, "remove keeps the edited conffile")
	assert.True(t, strings.HasSuffix(string(kept), edited))

	runDpkg(t, root, "--purge", debName)
	assert.NoFileExists(t, conf, "purge deletes the conffile")
}

// newDpkgRoot makes an empty root whose dpkg database lists this machine's installed
// packages, so that the package's Depends are checked against real ones.
func newDpkgRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	admin := filepath.Join(root, "var", "lib", "dpkg")
	for _, d := range []string{"info", "updates", "triggers"} {
		require.NoError(t, os.MkdirAll(filepath.Join(admin, d), 0o755))
	}
	status, err := os.ReadFile("/var/lib/dpkg/status")
	require.NoError(t, err, "dpkg's database (Debian package dpkg) is needed")
	require.NoError(t, os.WriteFile(filepath.Join(admin, "status"), status, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(admin, "available"), nil, 0o644))
	return root
}

// runDpkg runs dpkg on root. The maintainer scripts run outside the root (it has no shell)
// with DPKG_ROOT set, which they honour.
func runDpkg(t *testing.T, root string, args ...string) {
	t.Helper()
	base := []string{"--root=" + root, "--log=" + filepath.Join(root, "dpkg.log"), "--force-script-chrootless"}
	if os.Geteuid() != 0 {
		base = append(base, "--force-not-root")
	}
	out, err := exec.CommandContext(t.Context(), "dpkg", append(base, args...)...).CombinedOutput()
	require.NoError(t, err, "dpkg %v:\n%s", args, out)
}

func dpkgQuery(t *testing.T, root, format string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "dpkg-query", "--root="+root, "-W", "-f="+format, debName).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func dpkgStatus(t *testing.T, root string) string {
	t.Helper()
	return dpkgQuery(t, root, "${Status}")
}

func debFields(t *testing.T, deb string, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		v, err := exec.CommandContext(t.Context(), "dpkg-deb", "--field", deb, n).CombinedOutput()
		require.NoError(t, err, string(v))
		out[i] = strings.TrimSpace(string(v))
	}
	return out
}
