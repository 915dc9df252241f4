package web_test

// Benchmarks of whole HTTP requests through the desk's handler, in process (no network), on
// both databases:
//
//	go test ./internal/web -run '^$' -bench HTTP -benchtime 3s
//	go test ./internal/web -run '^$' -bench 'HTTPQueue/sqlite' -cpuprofile cpu.out
//
// See bench/README.md for the numbers measured and bench/load for the same over TCP.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/bench/fixture"
	"github.com/escalated-dev/escalated-go/bench/stats"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	tk "github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/web"
)

// BenchmarkHTTPCreate opens tickets with POST /support/tickets from 16 signed-in customers
// at once (8 goroutines per CPU on the 2-CPU machine the targets are set for).
func BenchmarkHTTPCreate(b *testing.B) {
	eachDB(b, func(b *testing.B, url string) {
		d := testdesk.New(b, url)
		h := d.Handler()
		cookies := make([]*http.Cookie, 16)
		for i := range cookies {
			cookies[i] = signIn(b, d, h, "customer", i)
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

// BenchmarkHTTPQueue lists the agent queue with GET /support/agent/tickets over 100,000
// tickets, cycling through the filters: one agent at a time (serial) and 16 at once.
func BenchmarkHTTPQueue(b *testing.B) {
	eachDB(b, func(b *testing.B, url string) {
		d := testdesk.New(b, url)
		h := d.Handler()
		store, err := db.Open(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		fix, err := fixture.Seed(context.Background(), store, fixture.Options{Tickets: 100_000, Analyze: true})
		if err != nil {
			b.Fatal(err)
		}
		cookies := make([]*http.Cookie, 16)
		for i := range cookies {
			cookies[i] = signIn(b, d, h, "agent", i)
		}
		var paths []string
		for _, q := range fixture.QueueQueries(fix, testdesk.Start) {
			paths = append(paths, "/support/agent/tickets?"+queryString(q.Filter))
		}
		version := h.(*web.Server).AssetVersion()
		inertia := false // the web UI's visit to the queue page instead of the JSON list
		list := func(cookie *http.Cookie, path string) {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(cookie)
			if inertia {
				req.Header.Set("X-Inertia", "true")
				req.Header.Set("X-Inertia-Version", version)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("GET %s: status %d: %s", path, rec.Code, rec.Body)
			}
		}
		b.Run("serial", func(b *testing.B) {
			var lat stats.Latencies
			cpu0 := stats.CPUTime()
			i := 0
			for b.Loop() {
				path := paths[i%len(paths)]
				i++
				lat.Time(func() { list(cookies[0], path) })
			}
			lat.Report(b, stats.CPUTime()-cpu0)
		})
		b.Run("parallel16", func(b *testing.B) {
			var lat stats.Latencies
			cpu0 := stats.CPUTime()
			var next atomic.Int64
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				cookie := cookies[int(next.Add(1)-1)%len(cookies)]
				for pb.Next() {
					path := paths[int(next.Add(1))%len(paths)]
					lat.Time(func() { list(cookie, path) })
				}
			})
			lat.Report(b, stats.CPUTime()-cpu0)
		})
		// The queue page as the web UI visits it: the list plus the page's and the layout's
		// props (issue 5's target is its server time).
		b.Run("page-serial", func(b *testing.B) {
			inertia = true
			defer func() { inertia = false }()
			var lat stats.Latencies
			cpu0 := stats.CPUTime()
			i := 0
			for b.Loop() {
				path := paths[i%len(paths)]
				i++
				lat.Time(func() { list(cookies[0], path) })
			}
			lat.Report(b, stats.CPUTime()-cpu0)
		})
	})
}

// queryString is the query string the shared frontend sends for f.
func queryString(f tk.Filter) string {
	v := url.Values{}
	if f.Search != "" {
		v.Set("search", f.Search)
	}
	if len(f.Statuses) > 0 {
		v.Set("status", strings.Join(f.Statuses, ","))
	}
	if len(f.Priorities) > 0 {
		v.Set("priority", strings.Join(f.Priorities, ","))
	}
	if f.AssignedTo != nil {
		v.Set("assigned_to", strconv.FormatInt(*f.AssignedTo, 10))
	}
	if f.Unassigned {
		v.Set("unassigned", "1")
	}
	if f.DepartmentID != nil {
		v.Set("department_id", strconv.FormatInt(*f.DepartmentID, 10))
	}
	if f.TagID != nil {
		v.Set("tag", strconv.FormatInt(*f.TagID, 10))
	}
	if f.SLABreached {
		v.Set("sla_breached", "1")
	}
	if f.TicketType != "" {
		v.Set("ticket_type", f.TicketType)
	}
	if f.CreatedAfter != nil {
		v.Set("created_after", f.CreatedAfter.Format("2006-01-02"))
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v.Encode()
}

// signIn creates a user with the role and returns their session cookie.
func signIn(b *testing.B, d *testdesk.Desk, h http.Handler, role string, i int) *http.Cookie {
	b.Helper()
	email := fmt.Sprintf("bench-%s-%d@example.test", role, i)
	if _, err := d.Users.Create(context.Background(), escalated.NewUser{Name: "Bench", Email: email, Password: testdesk.Password, Role: role}); err != nil {
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
