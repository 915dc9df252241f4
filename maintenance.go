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

// searchIndexEvery is how often new tickets are added to SQLite's search index. Searches
// match newer tickets directly, so this bounds only how many they match that way.
const searchIndexEvery = 500 * time.Millisecond

// keepSearchIndexed indexes new tickets for search in batches until ctx ends (SQLite; see
// ticket.IndexSearch). It runs on a ticker of its own rather than as a job: at this rate a
// job's own writes would cost more than the batches.
func (d *Desk) keepSearchIndexed(ctx context.Context) {
	if d.db.Dialect != db.SQLite {
		return
	}
	t := time.NewTicker(searchIndexEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := d.tickets.IndexSearch(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("escalated: index tickets for search", "error", err)
		}
	}
}
