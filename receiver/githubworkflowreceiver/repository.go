package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import "strings"

// repository is one repository of one GitHub instance. Its key is the repository's only
// identity: every map, state record, active-run count, metric attribute and log field
// that names a repository uses it (or its fullName), whatever spelling a configuration,
// an owner listing or a webhook delivery used. GitHub treats hosts and names
// case-insensitively, so "Octo/App" and "octo/app" are one repository.
type repository struct {
	// key is "host/owner/name", case-folded (see newRepository).
	key string
	// owner and name are case-folded too; they address the API (which ignores case) and
	// name the repository in telemetry.
	owner, name string
}

// newRepository makes the identity of "owner/name" on the API host host. ok is false when
// fullName is not owner/name.
func newRepository(host, fullName string) (r repository, ok bool) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return repository{}, false
	}
	owner, name = strings.ToLower(owner), strings.ToLower(name)
	return repository{key: strings.ToLower(host) + "/" + owner + "/" + name, owner: owner, name: name}, true
}

// fullName is "owner/name", case-folded.
func (r repository) fullName() string { return r.owner + "/" + r.name }

func (r repository) String() string { return r.key }
