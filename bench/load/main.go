// Command load drives a running desk over HTTP and reports throughput and latency:
//
//	go run ./bench/load -url http://127.0.0.1:8080/support -email admin@example.com \
//	    -password secret -c 16 -d 10s -scenario create
//
// Scenarios: create (customers open tickets), reply (agents reply to tickets), queue (agents
// list the queue with each filter in turn), page (the same filters as the web UI's Inertia
// visits to the queue page, with all its props), mixed (all three, weighted like a working desk:
// half queue views, a third replies, the rest new tickets). Several may be given, comma
// separated; each runs for -d.
//
// As the admin it creates one customer and one agent per worker through the admin API and
// signs each in, so every worker has sessions of its own. It only talks to loopback
// addresses and stops after -d or -n requests, whichever comes first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/escalated-dev/escalated-go/bench/stats"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080/support", "the desk's base URL (loopback only)")
	email := flag.String("email", "", "admin email")
	password := flag.String("password", "", "admin password")
	workers := flag.Int("c", 16, "concurrent workers")
	dur := flag.Duration("d", 10*time.Second, "how long each scenario runs (at most 10m)")
	maxReq := flag.Int64("n", 5_000_000, "stop a scenario after this many requests")
	scenarios := flag.String("scenario", "create", "create, reply, queue, page or mixed; several comma separated")
	userPassword := flag.String("user-password", "bench-password-1234", "password of the users the tool creates")
	flag.Parse()
	if *email == "" || *password == "" {
		log.Fatal("load: -email and -password of an admin are required")
	}
	if *dur <= 0 || *dur > 10*time.Minute || *workers < 1 || *workers > 1024 || *maxReq < 1 {
		log.Fatal("load: -d must be in (0, 10m], -c in [1, 1024], -n positive")
	}
	u, err := url.Parse(strings.TrimRight(*base, "/"))
	if err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		log.Fatalf("load: -url must be an http:// URL on a loopback address, got %q", *base)
	}
	var list []string
	for _, s := range strings.Split(*scenarios, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains([]string{"create", "reply", "queue", "page", "mixed"}, s) {
			log.Fatalf("load: unknown scenario %q", s)
		}
		list = append(list, s)
	}

	ctx := context.Background()
	transport := &http.Transport{MaxIdleConns: 2 * *workers, MaxIdleConnsPerHost: 2 * *workers, IdleConnTimeout: time.Minute}
	admin := newClient(u.String(), transport)
	if err := admin.login(ctx, *email, *password); err != nil {
		log.Fatalf("load: admin sign-in: %v", err)
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	w := make([]*worker, *workers)
	needAgents := slices.ContainsFunc(list, func(s string) bool { return s != "create" })
	start := time.Now()
	for i := range w {
		w[i] = &worker{id: i, rand: rand.New(rand.NewPCG(uint64(i), 7))}
		if w[i].customer, err = admin.newUser(ctx, transport, run, "customer", i, *userPassword); err != nil {
			log.Fatalf("load: %v", err)
		}
		if needAgents {
			if w[i].agent, err = admin.newUser(ctx, transport, run, "agent", i, *userPassword); err != nil {
				log.Fatalf("load: %v", err)
			}
		}
	}
	fmt.Printf("signed in %d workers in %s\n", *workers, time.Since(start).Round(time.Millisecond))
	var queries []string
	if needAgents {
		if queries, err = queueQueries(ctx, w[0].agent); err != nil {
			log.Fatalf("load: %v", err)
		}
		for _, wk := range w {
			if err := wk.prepareReplies(ctx); err != nil {
				log.Fatalf("load: %v", err)
			}
			if err := wk.agent.readVersion(ctx); err != nil {
				log.Fatalf("load: %v", err)
			}
		}
	}
	for _, s := range list {
		res := runScenario(ctx, s, w, queries, *dur, *maxReq)
		res.print(os.Stdout, s, *workers)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client is one signed-in browser session.
type client struct {
	base string
	http *http.Client
	// version is the frontend build an Inertia visit names (X-Inertia-Version), read from the
	// queue page's HTML before the page scenario starts.
	version string
}

func newClient(base string, t *http.Transport) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, http: &http.Client{Jar: jar, Transport: t, Timeout: 30 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out (when not nil). A status other
// than want is an error that carries the status.
func (c *client) do(ctx context.Context, method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.sendCSRF(req)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return &statusError{status: res.StatusCode, body: string(b)}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// sendCSRF sends back, on a write, the CSRF token the desk set as a cookie when the session
// rendered a page (readVersion does), as the web UI's JavaScript does; the desk refuses such
// a session's writes without it (419).
func (c *client) sendCSRF(req *http.Request) {
	if req.Method == http.MethodGet {
		return
	}
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		if ck.Name == "XSRF-TOKEN" {
			req.Header.Set("X-XSRF-TOKEN", ck.Value)
		}
	}
}

// visit makes the web UI's Inertia visit to path: the page object as JSON, with every prop
// the page and the layout get.
func (c *client) visit(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Inertia", "true")
	req.Header.Set("X-Inertia-Version", c.version)
	req.Header.Set("Accept", "text/html, application/xhtml+xml")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return &statusError{status: res.StatusCode, body: string(b)}
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

// pageVersion is the "version" of the page object the queue page's HTML shell carries.
var pageVersion = regexp.MustCompile(`version(?:&#34;|&quot;|")\s*:\s*(?:&#34;|&quot;|")([^&"]+)`)

// readVersion loads the queue page as a browser would and keeps its build version.
func (c *client) readVersion(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/agent/tickets", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/html")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	m := pageVersion.FindSubmatch(b)
	if res.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("read the page version: status %d, version found %v", res.StatusCode, m != nil)
	}
	c.version = string(m[1])
	return nil
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

func (c *client) login(ctx context.Context, email, password string) error {
	return c.do(ctx, "POST", "/login", map[string]string{"email": email, "password": password}, nil, http.StatusOK)
}

// newUser creates an account as the admin and returns a client signed in as it.
func (c *client) newUser(ctx context.Context, t *http.Transport, run, role string, i int, password string) (*client, error) {
	email := fmt.Sprintf("load-%s-%s-%d@example.test", run, role, i)
	body := map[string]string{"name": fmt.Sprintf("Load %s %d", role, i), "email": email, "password": password, "role": role}
	if err := c.do(ctx, "POST", "/admin/users", body, nil, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("create %s %d: %w", role, i, err)
	}
	u := newClient(c.base, t)
	if err := u.login(ctx, email, password); err != nil {
		return nil, fmt.Errorf("sign in %s %d: %w", role, i, err)
	}
	return u, nil
}

// queueQueries builds the queue filters to cycle through, with ids taken from the queue's
// first page so they match whatever the desk holds (a seeded desk or an empty one).
func queueQueries(ctx context.Context, agent *client) ([]string, error) {
	var page struct {
		Data []struct {
			AssignedTo   *int64 `json:"assigned_to"`
			DepartmentID *int64 `json:"department_id"`
			Tags         []struct {
				ID int64 `json:"id"`
			} `json:"tags"`
		} `json:"data"`
	}
	if err := agent.do(ctx, "GET", "/agent/tickets?per_page=100", nil, &page, http.StatusOK); err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	q := []string{
		"", "status=open", "status=open,in_progress,waiting_on_agent", "priority=high",
		"status=open&priority=high", "assigned_to=me", "unassigned=1", "status=open&unassigned=1",
		"sla_breached=1", "ticket_type=problem", "created_after=" + time.Now().AddDate(0, -1, 0).Format("2006-01-02"),
		"sort=created_at",
	}
	for _, t := range page.Data {
		if t.AssignedTo != nil {
			q = append(q, fmt.Sprintf("assigned_to=%d", *t.AssignedTo), fmt.Sprintf("assigned_to=%d&status=open", *t.AssignedTo))
			break
		}
	}
	for _, t := range page.Data {
		if t.DepartmentID != nil {
			q = append(q, fmt.Sprintf("department_id=%d", *t.DepartmentID))
			break
		}
	}
	for _, t := range page.Data {
		if len(t.Tags) > 0 {
			q = append(q, fmt.Sprintf("tag=%d", t.Tags[0].ID))
			break
		}
	}
	return q, nil
}

type worker struct {
	id       int
	customer *client
	agent    *client
	tickets  []int64 // tickets this worker's agent replies to
	rand     *rand.Rand
	seq      int
}

// prepareReplies opens a few tickets for the worker's agent to reply to, so workers never
// wait on each other's row locks.
func (w *worker) prepareReplies(ctx context.Context) error {
	for i := range 4 {
		var out struct {
			Data struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		if err := w.customer.do(ctx, "POST", "/tickets", newTicket(w.id, i), &out, http.StatusCreated); err != nil {
			return fmt.Errorf("open a ticket to reply to: %w", err)
		}
		w.tickets = append(w.tickets, out.Data.ID)
	}
	return nil
}

var priorities = []string{"low", "medium", "medium", "high", "urgent"}

func newTicket(worker, i int) map[string]string {
	return map[string]string{
		"subject":     fmt.Sprintf("Load test ticket %d-%d", worker, i),
		"description": "Something broke during the load test; here is what happened and what I expected instead.",
		"priority":    priorities[i%len(priorities)],
	}
}

// op is one kind of request a scenario sends.
type op struct {
	name string
	do   func(ctx context.Context, w *worker, queries []string) error
}

var (
	opCreate = op{"create", func(ctx context.Context, w *worker, _ []string) error {
		w.seq++
		return w.customer.do(ctx, "POST", "/tickets", newTicket(w.id, w.seq), nil, http.StatusCreated)
	}}
	opReply = op{"reply", func(ctx context.Context, w *worker, _ []string) error {
		w.seq++
		id := w.tickets[w.seq%len(w.tickets)]
		return w.agent.do(ctx, "POST", fmt.Sprintf("/agent/tickets/%d/reply", id), map[string]string{"body": "Thanks, we are looking into it."}, nil, http.StatusCreated)
	}}
	opQueue = op{"queue", func(ctx context.Context, w *worker, queries []string) error {
		w.seq++
		return w.agent.do(ctx, "GET", "/agent/tickets?"+queries[w.seq%len(queries)], nil, nil, http.StatusOK)
	}}
	opPage = op{"page", func(ctx context.Context, w *worker, queries []string) error {
		w.seq++
		return w.agent.visit(ctx, "/agent/tickets?"+queries[w.seq%len(queries)])
	}}
)

// pick chooses the next request of a scenario.
func pick(scenario string, r *rand.Rand) op {
	switch scenario {
	case "create":
		return opCreate
	case "reply":
		return opReply
	case "queue":
		return opQueue
	case "page":
		return opPage
	}
	switch n := r.IntN(100); {
	case n < 50:
		return opQueue
	case n < 85:
		return opReply
	default:
		return opCreate
	}
}

type result struct {
	elapsed time.Duration
	ops     map[string]*opResult
}

type opResult struct {
	lat    stats.Latencies
	errors sync.Map // error kind → *atomic.Int64
	nErr   atomic.Int64
}

func (o *opResult) fail(err error) {
	o.nErr.Add(1)
	kind := "transport"
	var se *statusError
	if errors.As(err, &se) {
		kind = fmt.Sprintf("HTTP %d", se.status)
	}
	v, _ := o.errors.LoadOrStore(kind, new(atomic.Int64))
	if v.(*atomic.Int64).Add(1) == 1 {
		log.Printf("load: first %s error: %v", kind, err)
	}
}

func runScenario(ctx context.Context, scenario string, workers []*worker, queries []string, d time.Duration, maxReq int64) *result {
	res := &result{ops: map[string]*opResult{}}
	for _, o := range []op{opCreate, opReply, opQueue, opPage} {
		res.ops[o.name] = &opResult{}
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= maxReq {
				o := pick(scenario, w.rand)
				t0 := time.Now()
				err := o.do(ctx, w, queries)
				if ctx.Err() != nil {
					return // cut off by the deadline: neither a success nor a failure
				}
				r := res.ops[o.name]
				if err != nil {
					r.fail(err)
					continue
				}
				r.lat.Add(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r *result) print(out io.Writer, scenario string, workers int) {
	fmt.Fprintf(out, "\nscenario %s: %d workers, %s\n", scenario, workers, r.elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\trequests\treq/s\tp50\tp90\tp99\tmax\terrors\t")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	for _, name := range []string{"create", "reply", "queue", "page"} {
		o := r.ops[name]
		s := o.lat.Summary()
		if s.N == 0 && o.nErr.Load() == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", name, s.N, float64(s.N)/r.elapsed.Seconds(),
			ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), o.nErr.Load())
	}
	tw.Flush()
	for _, name := range []string{"create", "reply", "queue", "page"} {
		r.ops[name].errors.Range(func(k, v any) bool {
			fmt.Fprintf(out, "  %s errors: %s × %d\n", name, k, v.(*atomic.Int64).Load())
			return true
		})
	}
}
