package fakegithub

import (
	"path/filepath"
	"runtime"
)

// FixturesDir is testdata/github of this package: the real payloads the
// stand-in and the receiver's tests are fed with (see its README).
func FixturesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "github")
}
