package contact_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/contact"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func openDB(t *testing.T, url string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

func requester(t *testing.T, d *db.DB, email, name string) contact.Ref {
	t.Helper()
	var ref contact.Ref
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		var err error
		ref, err = contact.Requester(ctx, tx, email, name, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestRequesterIsTheUserElseOneContactPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := openDB(t, url)
		var userID int64
		err := d.W.NewRaw(`INSERT INTO users (name, email, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
			"Ann", "Ann@Example.test", now, now).Scan(context.Background(), &userID)
		if err != nil {
			t.Fatal(err)
		}
		if ref := requester(t, d, "ann@example.TEST", "Someone"); ref.UserID == nil || *ref.UserID != userID || ref.ContactID != nil {
			t.Fatalf("a user's address gave %+v", ref)
		}
		first := requester(t, d, "Pat@Example.test", " Pat ")
		again := requester(t, d, "pat@example.test", "Other name")
		if first.ContactID == nil || first.UserID != nil || again.ContactID == nil || *again.ContactID != *first.ContactID {
			t.Fatalf("contacts %+v and %+v, want the same one", first, again)
		}
		var c contact.Contact
		if err := d.R.NewSelect().Model(&c).Where("id = ?", *first.ContactID).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c.Name != "Pat" || c.Email != "Pat@Example.test" {
			t.Fatalf("contact = %+v", c)
		}
	})
}

// TestConcurrentFindOrCreateMakesOneContact: transactions racing to create the same address
// all end with the one row.
func TestConcurrentFindOrCreateMakesOneContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := openDB(t, url)
		const n = 8
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
					c, err := contact.FindOrCreate(ctx, tx, "race@example.test", "Racer", now)
					if err == nil {
						ids[i] = c.ID
					}
					return err
				})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("caller %d: id %d, err %v; first id %d", i, ids[i], errs[i], ids[0])
			}
		}
		var count int
		if err := d.R.NewRaw(`SELECT count(*) FROM contacts`).Scan(context.Background(), &count); err != nil || count != 1 {
			t.Fatalf("%d contacts (%v), want 1", count, err)
		}
	})
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"pat@example.test": true, "Pat.Doe+tag@example.co.uk": true,
		"": false, "pat": false, "Pat <pat@example.test>": false, "<pat@example.test>": false,
		"pat@example.test\x00": false, "a@b@c": false, "pat@": false, "\xffpat@example.test": false,
	} {
		if got := contact.ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}
