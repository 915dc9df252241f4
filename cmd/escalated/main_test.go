package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// env is a fake environment for run: the database URL, no config file unless a test writes
// one, and whatever else the test sets.
func env(t *testing.T, database string, vars ...string) func(string) string {
	t.Helper()
	m := map[string]string{
		"ESCALATED_DATABASE_URL": database,
		"ESCALATED_CONFIG":       filepath.Join(t.TempDir(), "absent.json"),
		"ESCALATED_ADDR":         "127.0.0.1:0",
		"ESCALATED_STORAGE_PATH": filepath.Join(t.TempDir(), "storage"),
	}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return func(k string) string { return m[k] }
}

// command runs a command that exits by itself and returns its standard output.
func command(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	return stdout.String(), err
}

// server is a running `escalated serve`.
type server struct {
	URL    string // e.g. http://127.0.0.1:41234/support
	Stdout *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

// start runs `escalated serve` until Stop or the end of the test, and returns once it listens.
func start(t *testing.T, getenv func(string) string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logWatch{serving: make(chan string, 1)}
	s := &server{Stdout: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, []string{"serve"}, getenv, s.Stdout, logs) }()
	select {
	case s.URL = <-logs.serving:
	case err := <-s.done:
		cancel()
		t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if s.done != nil {
			s.Stop(t)
		}
	})
	return s
}

// Stop cancels the context run was given, as SIGTERM does, and waits for a clean exit.
func (s *server) Stop(t *testing.T) {
	t.Helper()
	s.stop()
	var err error
	select {
	case err = <-s.done:
	case <-time.After(time.Minute):
		t.Fatal("serve did not return within a minute of its context being cancelled")
	}
	s.done = nil
	if err != nil {
		t.Fatalf("serve after cancel: %v", err)
	}
	// Nothing answers once run has returned.
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Fatal("server still answers after run returned")
	}
}

// getJSON fetches path below the desk and decodes the JSON object it answers.
func getJSON(t *testing.T, c *http.Client, url string) (int, map[string]any) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, body
}

// login signs in through the desk's own sign-in and returns the response status.
func login(t *testing.T, base, email, password string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := c.Post(base+"/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		status, me := getJSON(t, c, base+"/me")
		if d, _ := me["data"].(map[string]any); status != http.StatusOK || d["email"] != email {
			t.Fatalf("GET /me after login = %d %v", status, me)
		}
	}
	return res.StatusCode
}

func TestServeAnswersHealthAndStopsOnCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s := start(t, env(t, url, "ESCALATED_ADMIN_PASSWORD", "a long admin password"))
		status, body := getJSON(t, http.DefaultClient, s.URL+"/healthz")
		wantDialect := "sqlite"
		if strings.HasPrefix(url, "postgres") {
			wantDialect = "postgres"
		}
		if status != http.StatusOK || body["status"] != "ok" || body["database"] != wantDialect {
			t.Fatalf("healthz = %d %v, want ok on %s", status, body, wantDialect)
		}
		s.Stop(t)
	})
}

func TestFirstStartCreatesAdminFromEnvironment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url, "ESCALATED_ADMIN_EMAIL", "boss@example.test", "ESCALATED_ADMIN_PASSWORD", "a long admin password")
		s := start(t, getenv)
		if out := s.Stdout.String(); !strings.Contains(out, "Created the first admin: boss@example.test") || strings.Contains(out, "password") {
			t.Fatalf("first start printed %q", out)
		}
		if status := login(t, s.URL, "boss@example.test", "a long admin password"); status != http.StatusOK {
			t.Fatalf("admin login = %d", status)
		}
		s.Stop(t)
	})
}

var generatedPassword = regexp.MustCompile(`password: (\S+)`)

func TestGeneratedAdminPasswordIsPrintedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url)
		s := start(t, getenv)
		m := generatedPassword.FindStringSubmatch(s.Stdout.String())
		if m == nil || !strings.Contains(s.Stdout.String(), "admin@example.com") {
			t.Fatalf("first start printed %q, want the admin's email and generated password", s.Stdout.String())
		}
		if status := login(t, s.URL, "admin@example.com", m[1]); status != http.StatusOK {
			t.Fatalf("login with the printed password = %d", status)
		}
		s.Stop(t)

		again := start(t, getenv)
		if out := again.Stdout.String(); out != "" {
			t.Fatalf("second start printed %q, want nothing", out)
		}
		if status := login(t, again.URL, "admin@example.com", m[1]); status != http.StatusOK {
			t.Fatalf("login after restart = %d", status)
		}
		again.Stop(t)
	})
}

func TestServeListensOnEscalatedAddr(t *testing.T) {
	// Find a free port, give it up, and ask the server to take it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := start(t, env(t, dbtest.SQLiteURL(t), "ESCALATED_ADDR", addr, "ESCALATED_ADMIN_PASSWORD", "a long admin password"))
	if want := "http://" + addr + "/support"; s.URL != want {
		t.Fatalf("serving at %s, want %s", s.URL, want)
	}
	if status, _ := getJSON(t, http.DefaultClient, "http://"+addr+"/support/healthz"); status != http.StatusOK {
		t.Fatalf("healthz on %s = %d", addr, status)
	}

	// A second server on the same address fails with a clear error instead of hanging.
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"serve"}, env(t, dbtest.SQLiteURL(t), "ESCALATED_ADDR", addr, "ESCALATED_ADMIN_PASSWORD", "a long admin password"), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "ESCALATED_ADDR") {
		t.Fatalf("second server on a taken address: err = %v", err)
	}
	s.Stop(t)
}

func TestMigrateTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url)
		for i := range 2 {
			out, err := command(t, getenv, "migrate")
			if err != nil || out != "migrations applied\n" {
				t.Fatalf("migrate #%d: %q, %v", i+1, out, err)
			}
		}
	})
}

func TestUserCreate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url, "ESCALATED_PASSWORD", "a long agent password")
		out, err := command(t, getenv, "user", "create", "Ann Agent", "ann@example.test", "agent")
		if err != nil || !strings.Contains(out, "<ann@example.test> as agent") || strings.Contains(out, "password") {
			t.Fatalf("user create: %q, %v", out, err)
		}

		// The account works: a server on the same database lets Ann sign in.
		s := start(t, getenv)
		if status := login(t, s.URL, "ann@example.test", "a long agent password"); status != http.StatusOK {
			t.Fatalf("login as the created agent = %d", status)
		}
		s.Stop(t)

		_, err = command(t, getenv, "user", "create", "Bad Role", "bad@example.test", "overlord")
		if err == nil || !strings.Contains(err.Error(), "role is invalid") {
			t.Fatalf("user create with role overlord: err = %v, want a clear role error", err)
		}
		_, err = command(t, getenv, "user", "create", "Ann Again", "ann@example.test", "agent")
		if err == nil || !strings.Contains(err.Error(), "email has already been taken") {
			t.Fatalf("user create with a taken email: err = %v", err)
		}
		_, err = command(t, getenv, "user", "create", "Ann")
		if err == nil || !strings.Contains(err.Error(), "usage: escalated user create NAME EMAIL ROLE") {
			t.Fatalf("user create with missing arguments: err = %v", err)
		}
	})
}

func TestTokenCreate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url, "ESCALATED_PASSWORD", "a long agent password")
		if _, err := command(t, getenv, "user", "create", "Ann Agent", "ann@example.test", "agent"); err != nil {
			t.Fatal(err)
		}
		out, err := command(t, getenv, "token", "create", "--user", "ANN@example.test", "--name", "deploy",
			"--abilities", "ticket.view, reply.create", "--expires", "2099-01-01")
		m := regexp.MustCompile(`(?m)^token: ([0-9a-f]{64}) \(shown once\)$`).FindStringSubmatch(out)
		if err != nil || m == nil || !strings.Contains(out, `"deploy" for <ann@example.test> with ticket.view, reply.create; expires 2099-01-01T00:00:00Z`) {
			t.Fatalf("token create: %q, %v", out, err)
		}

		// The token works on the API of a server over the same database.
		s := start(t, getenv)
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/auth/validate", nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Data struct {
				Permissions []string `json:"permissions"`
			} `json:"data"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || strings.Join(body.Data.Permissions, ",") != "ticket.view,reply.create" {
			t.Fatalf("validate with the printed token: %d %v", res.StatusCode, body)
		}
		s.Stop(t)

		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--user", "nobody@example.test", "--name", "x", "--abilities", "*"}, "User not found"},
			{[]string{"--user", "ann@example.test", "--name", "x", "--abilities", "ticket.view,ticket.fly"}, "abilities.1"},
			{[]string{"--user", "ann@example.test", "--name", "x", "--abilities", "ticket.delete"}, "does not hold"},
			{[]string{"--user", "ann@example.test", "--name", "x", "--abilities", "*", "--expires", "2001-01-01"}, "in the future"},
			{[]string{"--user", "ann@example.test", "--name", "x", "--abilities", "*", "--expires", "soon"}, "expires_at"},
			{[]string{"--user", "ann@example.test", "--name", "x"}, "usage: escalated token create"},
			{[]string{"--user", "ann@example.test", "--name", "x", "--abilities", "*", "extra"}, "usage: escalated token create"},
			{[]string{"--bogus"}, "usage: escalated token create"},
		} {
			out, err := command(t, getenv, append([]string{"token", "create"}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(out, "token:") {
				t.Errorf("token create %v: %q, %v; want an error with %q", c.args, out, err, c.want)
			}
		}
		if _, err := command(t, getenv, "token"); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("token without create: %v", err)
		}
	})
}

func TestUserCreateGeneratesPassword(t *testing.T) {
	out, err := command(t, env(t, dbtest.SQLiteURL(t)), "user", "create", "Cleo", "cleo@example.test", "customer")
	if err != nil || !generatedPassword.MatchString(out) {
		t.Fatalf("user create without ESCALATED_PASSWORD: %q, %v", out, err)
	}
}

func TestConfigFileWithUnknownKeyIsAnError(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("escalated.json", []byte(`{"route_prefix": "help", "databse": "x.db"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "ESCALATED_DATABASE_URL" {
			return filepath.Join(dir, "escalated.db")
		}
		return ""
	}
	_, err := command(t, getenv, "migrate")
	if err == nil || !strings.Contains(err.Error(), "escalated.json") || !strings.Contains(err.Error(), `unknown field "databse"`) {
		t.Fatalf("migrate with a misspelt key: err = %v, want it to name the file and the key", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escalated.db")); !os.IsNotExist(err) {
		t.Fatalf("a database was created despite the bad config (stat: %v)", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, err := command(t, env(t, dbtest.SQLiteURL(t)), "serv")
	if err == nil || !strings.Contains(err.Error(), `unknown command "serv"`) {
		t.Fatalf("err = %v", err)
	}
}

// syncBuffer is a bytes.Buffer that the server goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logWatch is the server's log output: it keeps the lines and reports the URL of the
// "serving" line, so a test waits for the server to listen without polling.
type logWatch struct {
	syncBuffer
	serving chan string
}

var servingLine = regexp.MustCompile(`msg="escalated: serving" url=(\S+)`)

func (l *logWatch) Write(p []byte) (int, error) {
	if m := servingLine.FindSubmatch(p); m != nil {
		select {
		case l.serving <- string(m[1]):
		default:
		}
	}
	return l.syncBuffer.Write(p)
}

// TestServeTakesTheConfigFileThenTheEnvironment: serve reads the file ESCALATED_CONFIG names,
// then the environment, which wins. The desk answers under the file's route_prefix, and new
// tickets take its reference prefix and the environment's default priority.
func TestServeTakesTheConfigFileThenTheEnvironment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		file := filepath.Join(t.TempDir(), "desk.json")
		if err := os.WriteFile(file, []byte(`{"route_prefix": "help", "ticket_reference_prefix": "HD", "default_priority": "low"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		s := start(t, env(t, url, "ESCALATED_CONFIG", file, "ESCALATED_DEFAULT_PRIORITY", "urgent",
			"ESCALATED_ADMIN_EMAIL", "boss@example.test", "ESCALATED_ADMIN_PASSWORD", "a long admin password"))
		root, ok := strings.CutSuffix(s.URL, "/help")
		if !ok {
			t.Fatalf("serving at %s, want the route prefix /help", s.URL)
		}
		if status, body := getJSON(t, http.DefaultClient, s.URL+"/healthz"); status != http.StatusOK || body["status"] != "ok" {
			t.Fatalf("GET /help/healthz = %d %v", status, body)
		}
		res, err := http.Get(root + "/support/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /support/healthz under prefix help = %d, want 404", res.StatusCode)
		}
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err = noFollow.Get(root + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/help" {
			t.Fatalf("GET / = %d to %q, want 302 to /help", res.StatusCode, res.Header.Get("Location"))
		}

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		post := func(path, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var m map[string]any
			json.NewDecoder(res.Body).Decode(&m)
			return res.StatusCode, m
		}
		if status, body := post("/login", `{"email":"boss@example.test","password":"a long admin password"}`); status != http.StatusOK {
			t.Fatalf("sign in under /help: %d %v", status, body)
		}
		status, body := post("/agent/tickets", `{"subject":"Printer","description":"Out of toner","requester_email":"ann@example.test"}`)
		tk, _ := body["data"].(map[string]any)
		if ref, _ := tk["reference"].(string); status != http.StatusCreated || !strings.HasPrefix(ref, "HD-") || tk["priority"] != "urgent" {
			t.Fatalf("new ticket = %d %v, want reference HD-… and priority urgent", status, body)
		}
		s.Stop(t)
	})
}
