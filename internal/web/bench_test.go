package web_test

// Benchmarks of whole HTTP requests through the desk's handler, in process (no network), on
// both databases:
//
//	go test ./internal/web -run '^$' -bench HTTP -benchtime 3s
//
// See bench/README.md for the numbers measured and bench/load for the same over TCP.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/bench/stats"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// BenchmarkHTTPCreate opens tickets with POST /support/tickets from 16 signed-in customers
// at once (8 goroutines per CPU on the 2-CPU machine the targets are set for).
func BenchmarkHTTPCreate(b *testing.B) {
	eachDB(b, func(b *testing.B, url string) {
		d := testdesk.New(b, url)
		h := d.Handler()
		cookies := make([]*http.Cookie, 16)
		for i := range cookies {
			cookies[i] = signIn(b, d, h, i)
		}
		body := []byte(`{"subject":"Printer on fire","description":"It is smoking since this morning.","priority":"high"}`)
		b.Run("parallel16", func(b *testing.B) {
			var lat stats.Latencies
			cpu0 := stats.CPUTime()
			var next atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				cookie := cookies[int(next.Add(1)-1)%len(cookies)]
				for pb.Next() {
					lat.Time(func() {
						req := httptest.NewRequest("POST", "/support/tickets", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.AddCookie(cookie)
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusCreated {
							b.Errorf("create: status %d: %s", rec.Code, rec.Body)
						}
					})
				}
			})
			lat.Report(b, stats.CPUTime()-cpu0)
		})
	})
}

// signIn creates a customer and returns their session cookie.
func signIn(b *testing.B, d *testdesk.Desk, h http.Handler, i int) *http.Cookie {
	b.Helper()
	email := fmt.Sprintf("bench-customer-%d@example.test", i)
	if _, err := d.Users.Create(context.Background(), escalated.NewUser{Name: "Bench", Email: email, Password: testdesk.Password, Role: "customer"}); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/support/login", bytes.NewReader(fmt.Appendf(nil, `{"email":%q,"password":%q}`, email, testdesk.Password)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("sign in: status %d: %s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "escalated_session" {
			return c
		}
	}
	b.Fatal("sign in set no session cookie")
	return nil
}

func eachDB(b *testing.B, fn func(b *testing.B, url string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(dbtest.PostgresEnv) == "" {
			b.Skip(dbtest.PostgresEnv + " is not set")
		}
		fn(b, dbtest.PostgresURL(b))
	})
}
