package githubworkflowreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEndpointOf(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/repos/o/r/actions/runs", "repo_runs"},
		{"/api/v3/repos/o/r/actions/runs", "repo_runs"},
		{"/repos/o/r/actions/runs/12", "run"},
		{"/repos/o/r/actions/runs/12/attempts/2", "run_attempt"},
		{"/repos/o/r/actions/runs/12/attempts/2/jobs", "attempt_jobs"},
		{"/orgs/o/repos", "org_repos"},
		{"/users/u/repos", "user_repos"},
		{"/installation/repositories", "installation_repos"},
		{"/api/v3/installation/repositories", "installation_repos"},
		{"/app/installations/67890/access_tokens", "installation_token"},
		{"/api/v3/app/installations/67890/access_tokens", "installation_token"},
		{"/rate_limit", "other"},
		{"/", "other"},
		{"/repos/o/r/actions/runs/12/logs", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, endpointOf(tt.path))
		})
	}
}
