package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// An idle timeout makes scs save the session on every request only to move its expiry; the
// store writes such a save at most once a minute, and any change of data at once.
func TestSessionStoreSkipsSavesThatOnlyNudgeTheExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		c := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		s := auth.NewSessionStore(d, c)
		stored := func() (string, time.Time) {
			t.Helper()
			var data []byte
			var expiry time.Time
			if err := d.R.NewRaw(`SELECT data, expiry FROM sessions`).Scan(ctx, &data, &expiry); err != nil {
				t.Fatal(err)
			}
			return string(data), expiry.UTC()
		}
		commit := func(data string, expiry time.Time) {
			t.Helper()
			if err := s.CommitCtx(ctx, "token", []byte(data), expiry); err != nil {
				t.Fatal(err)
			}
		}
		exp := c.Now().Add(7 * 24 * time.Hour)
		commit("a", exp)
		commit("a", exp.Add(30*time.Second))
		if _, e := stored(); !e.Equal(exp) {
			t.Fatalf("expiry moved by 30s was saved: %v, want %v", e, exp)
		}
		commit("a", exp.Add(time.Minute))
		if _, e := stored(); !e.Equal(exp.Add(time.Minute)) {
			t.Fatalf("expiry moved by a minute = %v, want %v", e, exp.Add(time.Minute))
		}
		commit("b", exp.Add(time.Minute+time.Second))
		if data, e := stored(); data != "b" || !e.Equal(exp.Add(time.Minute+time.Second)) {
			t.Fatalf("changed session = %q, %v; want b, %v", data, e, exp.Add(time.Minute+time.Second))
		}
		// A session deleted and then saved again is written, whatever was saved before.
		if err := s.DeleteCtx(ctx, "token"); err != nil {
			t.Fatal(err)
		}
		commit("b", exp.Add(time.Minute+2*time.Second))
		if data, _ := stored(); data != "b" {
			t.Fatalf("session saved after delete = %q", data)
		}
	})
}
