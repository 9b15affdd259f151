package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Attribute names. The CI/CD and VCS names come from the semantic conventions
// (go.opentelemetry.io/otel v1.47.0 ships them up to 1.43.0; the CI/CD and VCS
// names used here are the same in 1.44). GitHub specifics live under
// github.actions.*.
const (
	attrServiceName = string(semconv.ServiceNameKey)
	attrErrorType   = string(semconv.ErrorTypeKey)

	attrPipelineName       = string(semconv.CICDPipelineNameKey)
	attrPipelineActionName = string(semconv.CICDPipelineActionNameKey)
	attrPipelineRunID      = string(semconv.CICDPipelineRunIDKey)
	attrPipelineRunURL     = string(semconv.CICDPipelineRunURLFullKey)
	attrPipelineResult     = string(semconv.CICDPipelineResultKey)
	attrPipelineRunState   = string(semconv.CICDPipelineRunStateKey)
	attrTaskName           = string(semconv.CICDPipelineTaskNameKey)
	attrTaskRunID          = string(semconv.CICDPipelineTaskRunIDKey)
	attrTaskRunURL         = string(semconv.CICDPipelineTaskRunURLFullKey)
	attrTaskRunResult      = string(semconv.CICDPipelineTaskRunResultKey)
	attrWorkerName         = string(semconv.CICDWorkerNameKey)
	attrWorkerID           = string(semconv.CICDWorkerIDKey)

	attrVCSProviderName    = string(semconv.VCSProviderNameKey)
	attrVCSOwnerName       = string(semconv.VCSOwnerNameKey)
	attrVCSRepositoryName  = string(semconv.VCSRepositoryNameKey)
	attrVCSRepositoryURL   = string(semconv.VCSRepositoryURLFullKey)
	attrVCSRefHeadName     = string(semconv.VCSRefHeadNameKey)
	attrVCSRefHeadRevision = string(semconv.VCSRefHeadRevisionKey)

	// run (root span)
	attrGHRunAttempt      = "github.actions.run.attempt"
	attrGHRunNumber       = "github.actions.run.number"
	attrGHEvent           = "github.actions.event"
	attrGHConclusion      = "github.actions.conclusion" // raw GitHub conclusion (root, job and step)
	attrGHStatus          = "github.actions.status"     // raw GitHub status (root, job and step)
	attrGHWorkflowID      = "github.actions.workflow.id"
	attrGHWorkflowPath    = "github.actions.workflow.path"
	attrGHDisplayTitle    = "github.actions.run.display_title"
	attrGHActor           = "github.actions.actor"
	attrGHTriggeringActor = "github.actions.triggering_actor"
	attrGHPullRequests    = "github.actions.pull_requests"  // numbers of the pull requests the run belongs to
	attrGHRunCreatedAt    = "github.actions.run.created_at" // raw created_at (RFC 3339): when the run was first queued

	// job
	attrGHJobRunAttempt   = "github.actions.job.run_attempt" // attempt the job actually ran in
	attrGHJobCarriedOver  = "github.actions.job.carried_over"
	attrGHRunnerLabels    = "github.actions.runner.labels"
	attrGHRunnerGroupName = "github.actions.runner.group.name"
	attrGHRunnerGroupID   = "github.actions.runner.group.id"
	attrGHJobNodeID       = "github.actions.job.node_id"
	// Raw job timestamps (RFC 3339), as GitHub sent them: the span's own times
	// may be clamped, and a carried-over job's span is an instant.
	attrGHJobCreatedAt   = "github.actions.job.created_at"
	attrGHJobStartedAt   = "github.actions.job.started_at" // only for a job that ran on a runner
	attrGHJobCompletedAt = "github.actions.job.completed_at"

	// step
	attrGHStepNumber = "github.actions.step.number"

	// any span whose timestamps were clamped
	attrGHTimestampsCorrected = "github.actions.timestamps_corrected"
)

// Attribute values (checked against the semconv package in tests).
const (
	providerGitHub = "github"
	actionRun      = "RUN"

	resultSuccess      = "success"
	resultFailure      = "failure"
	resultError        = "error"
	resultTimeout      = "timeout"
	resultCancellation = "cancellation"
	resultSkip         = "skip"

	runStatePending    = "pending"
	runStateExecuting  = "executing"
	runStateFinalizing = "finalizing"
)

// cicdResult maps a GitHub check conclusion to cicd.pipeline.result (also used
// for cicd.pipeline.task.run.result). The second value reports whether the
// span status is ERROR. An unknown or empty conclusion maps to "" (attribute
// left out; github.actions.conclusion still carries the raw value).
//
// Conclusions semconv has no value for:
//   - startup_failure (the workflow could not start, e.g. an invalid workflow
//     file): "error", status ERROR;
//   - action_required (the run waits for a human approval and never ran): "skip";
//   - stale (GitHub gave up on a check left incomplete for too long): "cancellation";
//   - neutral (finished, deliberately neither success nor failure): "success".
func cicdResult(conclusion string) (result string, isError bool) {
	switch conclusion {
	case "success":
		return resultSuccess, false
	case "failure":
		return resultFailure, true
	case "cancelled":
		return resultCancellation, false
	case "skipped":
		return resultSkip, false
	case "timed_out":
		return resultTimeout, true
	case "startup_failure":
		return resultError, true
	case "action_required":
		return resultSkip, false
	case "stale":
		return resultCancellation, false
	case "neutral":
		return resultSuccess, false
	default:
		return "", false
	}
}
