package auth

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/escalated-dev/escalated-go/internal/jobs"
)

// deleteExpiredSessionsArgs is the hourly job that removes expired sessions. scs never
// reads them again, so they are only dead rows.
type deleteExpiredSessionsArgs struct{}

func (deleteExpiredSessionsArgs) Kind() string { return "auth.delete_expired_sessions" }

type deleteExpiredSessionsWorker struct {
	river.WorkerDefaults[deleteExpiredSessionsArgs]
	store *SessionStore
}

func (w *deleteExpiredSessionsWorker) Work(ctx context.Context, _ *river.Job[deleteExpiredSessionsArgs]) error {
	return w.store.DeleteExpired(ctx)
}

// RegisterJobs adds the sessions' background work to j: removing expired sessions every hour.
func (s *SessionStore) RegisterJobs(j *jobs.Jobs) {
	jobs.AddWorker(j, &deleteExpiredSessionsWorker{store: s})
	j.AddPeriodic(jobs.Periodic{
		Name:  deleteExpiredSessionsArgs{}.Kind(),
		Every: time.Hour,
		Args:  func() river.JobArgs { return deleteExpiredSessionsArgs{} },
	})
}
