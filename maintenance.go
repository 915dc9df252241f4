package escalated

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/jobs"
)

// optimizeArgs is the hourly job that refreshes SQLite's planner statistics as the tables
// grow, so queue queries keep choosing the right index (a no-op on PostgreSQL, whose
// autovacuum does it).
type optimizeArgs struct{}

func (optimizeArgs) Kind() string { return "db.optimize" }

type optimizeWorker struct {
	river.WorkerDefaults[optimizeArgs]
	db *db.DB
}

func (w *optimizeWorker) Work(ctx context.Context, _ *river.Job[optimizeArgs]) error {
	return w.db.Optimize(ctx)
}

func registerMaintenance(j *jobs.Jobs, d *db.DB) {
	jobs.AddWorker(j, &optimizeWorker{db: d})
	j.AddPeriodic(jobs.Periodic{
		Name:  optimizeArgs{}.Kind(),
		Every: time.Hour,
		Args:  func() river.JobArgs { return optimizeArgs{} },
	})
}
