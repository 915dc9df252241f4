package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

var hexKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestKeyFileIsCreatedOnceAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyFileName)
	key, created, err := readOrCreateKey(path)
	if err != nil || !created || !hexKey.MatchString(key) {
		t.Fatalf("first call: %q, created %v, %v", key, created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	again, created, err := readOrCreateKey(path)
	if err != nil || created || again != key {
		t.Fatalf("second call: %q, created %v, %v; want the first key, not created", again, created, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestServersStartingTogetherShareOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyFileName)
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := readOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || !hexKey.MatchString(k) {
			t.Fatalf("keys %v differ", keys)
		}
	}
}

func TestShortKeyFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyFileName)
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, _, err := readOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "shorter than 32") {
		t.Fatalf("err = %v", err)
	}
}

func TestKeyFileLiesNextToTheDatabase(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, cfgDir := t.TempDir(), t.TempDir()
	cfg := escalated.Config{Database: "sqlite://" + filepath.Join(dir, "desk.db") + "?mode=rwc"}
	if err := ensureSecretKey(&cfg, filepath.Join(cfgDir, "escalated.json"), log); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, keyFileName))
	if cfg.SecretKey == "" || strings.TrimSpace(string(b)) != cfg.SecretKey {
		t.Fatalf("key %q, file next to the database holds %q", cfg.SecretKey, b)
	}

	cfg = escalated.Config{Database: "postgres://db.example/desk"}
	if err := ensureSecretKey(&cfg, filepath.Join(cfgDir, "escalated.json"), log); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(cfgDir, keyFileName)); strings.TrimSpace(string(b)) != cfg.SecretKey {
		t.Fatalf("PostgreSQL: key %q, file next to the config holds %q", cfg.SecretKey, b)
	}

	// A configured key is used as it is and writes nothing.
	empty := t.TempDir()
	cfg = escalated.Config{Database: filepath.Join(empty, "x.db"), SecretKey: "configured"}
	ensureSecretKey(&cfg, filepath.Join(empty, "escalated.json"), log)
	if entries, _ := os.ReadDir(empty); cfg.SecretKey != "configured" || len(entries) != 0 {
		t.Fatalf("configured key became %q; files %v", cfg.SecretKey, entries)
	}
}

// TestServeEnrolsTwoFactorWithItsGeneratedKey starts the server twice on one database: the
// key generated on the first start seals an enrolment that the second start can still read.
func TestServeEnrolsTwoFactorWithItsGeneratedKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		getenv := env(t, url, "ESCALATED_ADMIN_EMAIL", "boss@example.test", "ESCALATED_ADMIN_PASSWORD", "a long admin password")
		s := start(t, getenv)
		c := signIn(t, s.URL)
		post(t, c, s.URL+"/admin/settings/two-factor/setup", nil, http.StatusOK)
		s.Stop(t)

		again := start(t, getenv)
		c = signIn(t, again.URL)
		// The pending enrolment opens with the same key: a wrong code is refused as wrong
		// (422), not as a secret that can no longer be read (500).
		post(t, c, again.URL+"/admin/settings/two-factor/confirm", map[string]string{"code": "000000"}, http.StatusUnprocessableEntity)
		again.Stop(t)
	})
}

func signIn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post(t, c, base+"/login", map[string]string{"email": "boss@example.test", "password": "a long admin password"}, http.StatusOK)
	return c
}

// post sends body as JSON, or no body when it is nil (a route that takes no fields refuses
// the JSON null).
func post(t *testing.T, c *http.Client, url string, body any, want int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	res, err := c.Post(url, "application/json", rd)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("POST %s = %d %s, want %d", url, res.StatusCode, out, want)
	}
}
