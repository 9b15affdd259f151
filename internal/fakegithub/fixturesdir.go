package fakegithub

import (
	"path/filepath"
	"runtime"
)

// FixturesDir is ../shared/fixtures/github beside the repository: the real
// payloads the stand-in is fed with (CI clones main with shared/ beside it).
func FixturesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "fixtures", "github")
}
