package auth_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Every value the desk keeps in a session comes back as it went in, with its type.
func TestSessionCodecRoundTrips(t *testing.T) {
	deadline := time.Date(2026, 3, 16, 10, 0, 0, 123456789, time.UTC)
	for name, values := range map[string]map[string]any{
		"empty": {},
		"signed in": {
			"user_id": int64(42), "csrf_token": "Zm9vYmFyYmF6cXV4",
			"flash": `{"success":"Saved."}`, "errors": `{"email":"Taken."}`, "intended": "/support/agent/tickets?page=2",
		},
		"two factor pending": {"two_factor_user_id": int64(7), "two_factor_since": int64(1772445600)},
		"edges": {
			"": "empty key", "empty": "", "zero": int64(0), "min": int64(math.MinInt64), "max": int64(math.MaxInt64),
			"negative": int64(-1), "unicode ключ": "värde ✓", "long": strings.Repeat("x", 70000), "nul": "a\x00b",
		},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := auth.SessionCodec{}.Encode(deadline, values)
			if err != nil {
				t.Fatal(err)
			}
			gotDeadline, got, err := auth.SessionCodec{}.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !gotDeadline.Equal(deadline) {
				t.Errorf("deadline %v, want %v", gotDeadline, deadline)
			}
			if !reflect.DeepEqual(got, values) {
				t.Errorf("values %#v, want %#v", got, values)
			}
		})
	}
}

// A value of a type the codec does not hold fails the save and names itself, rather than
// vanishing from the session.
func TestSessionCodecRefusesOtherTypes(t *testing.T) {
	for _, v := range []any{42, int32(1), true, 1.5, []byte("x"), time.Now(), nil, map[string]any{}, struct{}{}} {
		_, err := auth.SessionCodec{}.Encode(time.Now(), map[string]any{"user_id": int64(1), "odd": v})
		if err == nil || !strings.Contains(err.Error(), `"odd"`) {
			t.Errorf("%T: err = %v, want an error naming the value", v, err)
		}
	}
}

// Damaged data, and sessions gob wrote before the desk had its own codec, are errors, never
// a session.
func TestSessionCodecRefusesOtherData(t *testing.T) {
	deadline := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	values := map[string]any{"user_id": int64(42), "csrf_token": "token"}
	good, err := auth.SessionCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(good) {
		if _, _, err := (auth.SessionCodec{}).Decode(good[:i]); err == nil {
			t.Errorf("the first %d of %d bytes decoded", i, len(good))
		}
	}
	if _, _, err := (auth.SessionCodec{}).Decode(append(good, 0)); err == nil {
		t.Error("a trailing byte decoded")
	}
	gob, err := scs.GobCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := (auth.SessionCodec{}).Decode(gob); err == nil {
		t.Error("a gob session decoded")
	}
}
