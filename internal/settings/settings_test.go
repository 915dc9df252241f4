package settings_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
)

// Settings are kept for cache.TTL on the store's clock: a change through the store shows at
// once, with no clock advance; one written behind its back (another process, or SQL by hand)
// shows at cache.TTL and not a microsecond before.
func TestSettingsChangesShowAtOnceOrWithinTheTTL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := testenv.New(t, url)
		st := settings.NewStore(e.DB, e.Clock, settings.Defaults())
		prefix := func(when, want string) {
			t.Helper()
			v, err := st.All(e.Ctx)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := v.String("ticket_reference_prefix"); got != want {
				t.Fatalf("%s: ticket_reference_prefix %q, want %q", when, got, want)
			}
		}
		prefix("default", "ESC")

		v, err := st.Update(e.Ctx, auth.System(), map[string]json.RawMessage{"ticket_reference_prefix": json.RawMessage(`"HD"`)})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.String("ticket_reference_prefix"); got != "HD" {
			t.Fatalf("Update returned ticket_reference_prefix %q, want HD", got)
		}
		prefix("after the update, no clock moved", "HD")

		// Another process changes it.
		e.Exec(`UPDATE settings SET value = ? WHERE key = 'ticket_reference_prefix'`, `"OPS"`)
		e.Clock.Advance(cache.TTL - time.Microsecond)
		prefix("just under the TTL", "HD")
		e.Clock.Advance(time.Microsecond)
		prefix("at the TTL", "OPS")

		// A key written behind the store's back for the first time waits for the TTL too.
		e.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('allow_customer_close', 'false', ?)`, e.Clock.Now())
		if v, err := st.All(e.Ctx); err != nil || !v.Bool("allow_customer_close") {
			t.Fatalf("within the TTL: allow_customer_close %v, %v; want the kept true", v.Bool("allow_customer_close"), err)
		}
		e.Clock.Advance(cache.TTL)
		if v, err := st.All(e.Ctx); err != nil || v.Bool("allow_customer_close") {
			t.Fatalf("at the TTL: allow_customer_close %v, %v; want false", v.Bool("allow_customer_close"), err)
		}

		// A refused update changes nothing, and a good one still shows at once.
		if _, err := st.Update(e.Ctx, auth.System(), map[string]json.RawMessage{"ticket_reference_prefix": json.RawMessage(`"bad prefix"`)}); err == nil {
			t.Fatal("an invalid prefix was stored")
		}
		prefix("after a refused update", "OPS")
		if _, err := st.Update(e.Ctx, auth.System(), map[string]json.RawMessage{"ticket_reference_prefix": json.RawMessage(`"NEW"`)}); err != nil {
			t.Fatal(err)
		}
		prefix("after a second update, no clock moved", "NEW")
	})
}
