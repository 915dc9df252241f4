package rules

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/escalated-dev/escalated-go/internal/jobs"
)

// The minutely jobs that run each kind of rule. They are separate kinds so each is unique
// within its minute on its own.
type (
	runEscalationsArgs struct{}
	runAutomationsArgs struct{}
)

func (runEscalationsArgs) Kind() string { return "rules.run_escalations" }
func (runAutomationsArgs) Kind() string { return "rules.run_automations" }

type runRulesWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	rules *Service
	kind  Kind
}

func (w *runRulesWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error {
	res, err := w.rules.run(ctx, w.kind, w.rules.clock.Now())
	if err != nil {
		return err
	}
	if res.Applied > 0 || res.Failed > 0 {
		w.rules.log.Info("rules: run", "kind", specs[w.kind].what, "applied", res.Applied, "failed", res.Failed)
	}
	return nil
}

// RegisterJobs schedules escalation rules and automations to run every minute, once per
// minute across all server processes.
func (s *Service) RegisterJobs(j *jobs.Jobs) {
	jobs.AddWorker(j, &runRulesWorker[runEscalationsArgs]{rules: s, kind: Escalation})
	jobs.AddWorker(j, &runRulesWorker[runAutomationsArgs]{rules: s, kind: Automation})
	j.AddPeriodic(jobs.Periodic{
		Name:  runEscalationsArgs{}.Kind(),
		Every: time.Minute,
		Args:  func() river.JobArgs { return runEscalationsArgs{} },
	})
	j.AddPeriodic(jobs.Periodic{
		Name:  runAutomationsArgs{}.Kind(),
		Every: time.Minute,
		Args:  func() river.JobArgs { return runAutomationsArgs{} },
	})
}
