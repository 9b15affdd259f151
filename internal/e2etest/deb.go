package e2etest

import (
	"os"
	"testing"
)

// DebEnv names the variable `make test` sets to the Debian package `make package` built.
const DebEnv = "OTELCOL_DEB"

// Deb returns the path of the distribution's Debian package, failing the test when there is
// none: the package is built by `make package`, which `make test` runs first.
func Deb(t testing.TB) string {
	t.Helper()
	p := os.Getenv(DebEnv)
	if p == "" {
		t.Fatalf("%s is not set: run `make test`, or `make package` and set %s to the .deb", DebEnv, DebEnv)
	}
	return p
}
