package escalated_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
)

// BenchmarkTicketCreateSQLite measures ticket creates on SQLite with the desk's background
// work stopped and with it running idle: River's polling shares the single writer
// connection with ticket writes.
func BenchmarkTicketCreateSQLite(b *testing.B) {
	for _, run := range []bool{false, true} {
		name := "river=off"
		if run {
			name = "river=idle"
		}
		b.Run(name, func(b *testing.B) {
			desk, err := escalated.New(escalated.Config{Database: filepath.Join(b.TempDir(), "bench.db")},
				escalated.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			defer desk.Close()
			if run {
				ctx, stop := context.WithCancel(context.Background())
				defer stop()
				go desk.Run(ctx)
			}
			in := escalated.NewTicket{Subject: "Printer on fire", Description: "It is on fire."}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := desk.Tickets.Create(context.Background(), 0, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}
