package ticket

import (
	"context"

	"github.com/riverqueue/river"
)

// WorkWakeJob runs the wake-up job of a snoozed ticket as River would when it falls due.
func (s *Service) WorkWakeJob(ctx context.Context, ticketID int64) error {
	return (&wakeWorker{tickets: s}).Work(ctx, &river.Job[wakeArgs]{Args: wakeArgs{TicketID: ticketID}})
}

// SetWalkThreshold changes walkThreshold until the test ends.
func SetWalkThreshold(t interface{ Cleanup(func()) }, n int) {
	old := walkThreshold
	walkThreshold = n
	t.Cleanup(func() { walkThreshold = old })
}

// SetSearchBatch changes searchBatch until the test ends.
func SetSearchBatch(t interface{ Cleanup(func()) }, n int) {
	old := searchBatch
	searchBatch = n
	t.Cleanup(func() { searchBatch = old })
}

// CreatesWaiting is how many creates wait for their batch to be written.
func (s *Service) CreatesWaiting() int {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	return len(s.creates.queue)
}

// CreateBatches is how many batches of creates were written, and the most creates one held.
func (s *Service) CreateBatches() (batches, largest int) {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	return s.creates.batches, s.creates.largest
}

// CheckRefs is checkRefs: references to rows that do not exist as validation errors.
var CheckRefs = checkRefs
