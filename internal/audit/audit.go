// Package audit records who changed what, from which address, with the old and new values.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Actor is who made a change: a user id (nil for the system) and the client address.
type Actor interface {
	ActorID() *int64
	ClientIP() string
}

// contactActor is an actor without an account who acts as a contact (a guest); the entry
// records the contact.
type contactActor interface {
	ActorContactID() *int64
}

// Entry is one audit-log row.
type Entry struct {
	bun.BaseModel `bun:"table:audit_logs"`

	ID      int64  `bun:"id,pk,autoincrement" json:"id"`
	ActorID *int64 `bun:"actor_id" json:"user_id"`
	// ActorContactID is the contact a guest acted as; nil for users and the system.
	ActorContactID *int64          `bun:"actor_contact_id" json:"contact_id"`
	Action         string          `bun:"action" json:"action"`
	ResourceType   string          `bun:"resource_type" json:"auditable_type"`
	ResourceID     *int64          `bun:"resource_id" json:"auditable_id"`
	OldValues      json.RawMessage `bun:"old_values,type:text" json:"old_values"`
	NewValues      json.RawMessage `bun:"new_values,type:text" json:"new_values"`
	IPAddress      string          `bun:"ip_address" json:"ip_address"`
	CreatedAt      time.Time       `bun:"created_at" json:"created_at"`
}

// secretKeys are never written to the log in clear.
var secretKeys = []string{"password", "secret", "token", "recovery_code"}

// Record writes one entry in the caller's transaction. Values under keys that name a secret
// are replaced by "[redacted]".
func Record(ctx context.Context, db bun.IDB, actor Actor, action, resourceType string, resourceID int64, old, new map[string]any, at time.Time) error {
	return RecordAll(ctx, db, []Change{{actor, action, resourceType, resourceID, old, new, at}})
}

// Change is one entry for RecordAll, with Record's arguments.
type Change struct {
	Actor        Actor
	Action       string
	ResourceType string
	ResourceID   int64
	Old, New     map[string]any
	At           time.Time
}

// RecordAll writes the entries of many changes with one statement, in the caller's
// transaction, as Record writes one.
func RecordAll(ctx context.Context, db bun.IDB, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	entries := Entries(changes)
	if _, err := db.NewInsert().Model(&entries).Exec(ctx); err != nil {
		return fmt.Errorf("audit: record %s: %w", changes[0].Action, err)
	}
	return nil
}

// Entries are the rows RecordAll writes for changes, for a caller that writes them itself.
func Entries(changes []Change) []Entry {
	entries := make([]Entry, len(changes))
	for i, c := range changes {
		entries[i] = Entry{
			ActorID:      c.Actor.ActorID(),
			Action:       c.Action,
			ResourceType: c.ResourceType,
			OldValues:    encode(c.Old),
			NewValues:    encode(c.New),
			IPAddress:    c.Actor.ClientIP(),
			CreatedAt:    c.At,
		}
		if c.ResourceID != 0 {
			entries[i].ResourceID = &c.ResourceID
		}
		if ca, ok := c.Actor.(contactActor); ok {
			entries[i].ActorContactID = ca.ActorContactID()
		}
	}
	return entries
}

func encode(m map[string]any) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("{}")
	}
	clean := make(map[string]any, len(m))
	for k, v := range m {
		clean[k] = v
		for _, s := range secretKeys {
			if strings.Contains(strings.ToLower(k), s) {
				clean[k] = "[redacted]"
			}
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}
