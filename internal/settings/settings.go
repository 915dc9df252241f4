// Package settings stores the admin-editable desk settings, with their types and defaults.
package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/netguard"
)

// Values is every setting by key, defaults filled in.
type Values map[string]any

func (v Values) Bool(key string) bool     { b, _ := v[key].(bool); return b }
func (v Values) Int(key string) int       { n, _ := v[key].(int); return n }
func (v Values) String(key string) string { s, _ := v[key].(string); return s }

// Strings returns a list setting. The slice is shared with the cache: do not change it.
func (v Values) Strings(key string) []string { l, _ := v[key].([]string); return l }

type kind int

const (
	kBool kind = iota
	kInt
	kString
	kStrings // a list of strings, each checked and normalised by item
)

type spec struct {
	kind     kind
	min, max int
	oneOf    []string
	pattern  *regexp.Regexp
	maxLen   int
	// For kStrings: at most max entries, each passed through item.
	item func(string) (string, error)
}

var specs = map[string]spec{
	"guest_tickets_enabled":           {kind: kBool},
	"allow_customer_close":            {kind: kBool},
	"reopen_on_customer_reply":        {kind: kBool},
	"auto_close_resolved_after_days":  {kind: kInt, min: 0, max: 3650},
	"max_attachments_per_reply":       {kind: kInt, min: 0, max: 100},
	"max_attachment_size_kb":          {kind: kInt, min: 1, max: 1024 * 1024},
	"ticket_reference_prefix":         {kind: kString, pattern: regexp.MustCompile(`^[A-Z0-9]{1,10}$`)},
	"default_priority":                {kind: kString, oneOf: []string{"low", "medium", "high", "urgent", "critical"}},
	"knowledge_base_enabled":          {kind: kBool},
	"knowledge_base_public":           {kind: kBool},
	"knowledge_base_feedback_enabled": {kind: kBool},
	"csat_scale":                      {kind: kInt, min: 3, max: 5},
	"csat_delivery_trigger":           {kind: kString, oneOf: []string{"resolved", "closed"}},
	"csat_delay_hours":                {kind: kInt, min: 0, max: 720},
	"guest_policy_mode":               {kind: kString, oneOf: []string{"unassigned", "guest_user", "prompt_signup"}},
	"retention_closed_tickets":        {kind: kInt, min: 0, max: 36500},
	"retention_attachments":           {kind: kInt, min: 0, max: 36500},
	"retention_audit_logs":            {kind: kInt, min: 0, max: 36500},
	"widget_enabled":                  {kind: kBool},
	"widget_color":                    {kind: kString, pattern: regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)},
	"widget_position":                 {kind: kString, oneOf: []string{"bottom-right", "bottom-left"}},
	"widget_greeting":                 {kind: kString, maxLen: 500},
	// Hosts (or host:port) that webhooks may reach although they are internal addresses.
	"webhook_allowed_hosts": {kind: kStrings, max: 100, item: allowedHost},
}

func allowedHost(s string) (string, error) {
	e, err := netguard.ParseEntry(s)
	if err != nil {
		return "", err
	}
	return e.String(), nil
}

// Defaults returns the built-in value of every setting; config may override some before the
// store is created.
func Defaults() Values {
	return Values{
		"guest_tickets_enabled":           true,
		"allow_customer_close":            true,
		"reopen_on_customer_reply":        true,
		"auto_close_resolved_after_days":  7,
		"max_attachments_per_reply":       5,
		"max_attachment_size_kb":          10240,
		"ticket_reference_prefix":         "ESC",
		"default_priority":                "medium",
		"knowledge_base_enabled":          true,
		"knowledge_base_public":           true,
		"knowledge_base_feedback_enabled": true,
		"csat_scale":                      5,
		"csat_delivery_trigger":           "resolved",
		"csat_delay_hours":                0,
		"guest_policy_mode":               "unassigned",
		"retention_closed_tickets":        0,
		"retention_attachments":           0,
		"retention_audit_logs":            0,
		"widget_enabled":                  false,
		"widget_color":                    "#4F46E5",
		"widget_position":                 "bottom-right",
		"widget_greeting":                 "Hi! How can we help?",
		"webhook_allowed_hosts":           []string{},
	}
}

// Store reads and writes settings. Reads are kept for cache.TTL on the store's clock: a change
// made through the store shows at once, one made by another server process sharing the
// database within cache.TTL.
type Store struct {
	db       *db.DB
	clock    clock.Clock
	defaults Values

	values cache.Loaded[Values]
}

// NewStore returns a store whose unset keys read as defaults.
func NewStore(d *db.DB, c clock.Clock, defaults Values) *Store {
	return &Store{db: d, clock: c, defaults: defaults}
}

// All returns every setting. The map is shared with the cache: do not change it.
func (s *Store) All(ctx context.Context) (Values, error) {
	return s.values.Get(ctx, s.clock.Now(), s.load)
}

// load reads every stored setting over the defaults.
func (s *Store) load(ctx context.Context) (Values, error) {
	var rows []struct {
		Key   string `bun:"key"`
		Value string `bun:"value"`
	}
	if err := s.db.R.NewRaw(`SELECT key, value FROM settings`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("settings: load: %w", err)
	}
	out := make(Values, len(s.defaults))
	for k, v := range s.defaults {
		out[k] = v
	}
	for _, r := range rows {
		sp, ok := specs[r.Key]
		if !ok {
			continue
		}
		if v, err := decode(sp, json.RawMessage(r.Value)); err == nil {
			out[r.Key] = v
		}
	}
	return out, nil
}

// Update validates and stores the given keys in one transaction. An unknown key or a value of
// the wrong type is a validation error naming the key, and nothing is stored.
func (s *Store) Update(ctx context.Context, actor *auth.Actor, changes map[string]json.RawMessage) (Values, error) {
	var v apperr.Validation
	decoded := map[string]any{}
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sp, ok := specs[k]
		if !ok {
			v.Addf(k, "%s is not a known setting.", k)
			continue
		}
		val, err := decode(sp, changes[k])
		if err != nil {
			v.Add(k, err.Error())
			continue
		}
		decoded[k] = val
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	before, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	old, new := map[string]any{}, map[string]any{}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, k := range keys {
			b, _ := json.Marshal(decoded[k])
			if _, err := tx.NewRaw(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
				k, string(b), now).Exec(ctx); err != nil {
				return fmt.Errorf("settings: save %s: %w", k, err)
			}
			old[k], new[k] = before[k], decoded[k]
		}
		return audit.Record(ctx, tx, actor, "settings.updated", "settings", 0, old, new, now)
	})
	// Dropped whether or not the transaction committed: a commit that reported an error may
	// still have been made.
	s.values.Invalidate()
	if err != nil {
		return nil, err
	}
	return s.All(ctx)
}

func decode(sp spec, raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("must be valid JSON")
	}
	switch sp.kind {
	case kBool:
		b, ok := x.(bool)
		if !ok {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case kInt:
		num, ok := x.(json.Number)
		if !ok {
			return nil, fmt.Errorf("must be a whole number")
		}
		n, err := num.Int64()
		if err != nil {
			return nil, fmt.Errorf("must be a whole number")
		}
		if n < int64(sp.min) || n > int64(sp.max) {
			return nil, fmt.Errorf("must be between %d and %d", sp.min, sp.max)
		}
		return int(n), nil
	case kStrings:
		return decodeList(sp, x)
	default:
		str, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string")
		}
		if len(sp.oneOf) > 0 {
			for _, o := range sp.oneOf {
				if o == str {
					return str, nil
				}
			}
			return nil, fmt.Errorf("must be one of %v", sp.oneOf)
		}
		if !apperr.ValidText(str) {
			return nil, fmt.Errorf("contains invalid characters")
		}
		if sp.pattern != nil && !sp.pattern.MatchString(str) {
			return nil, fmt.Errorf("has an invalid format")
		}
		if sp.maxLen > 0 && utf8.RuneCountInString(str) > sp.maxLen {
			return nil, fmt.Errorf("may not be longer than %d characters", sp.maxLen)
		}
		return str, nil
	}
}

// decodeList checks a list setting: a JSON array of at most sp.max strings, each normalised
// by sp.item. Duplicates are dropped; the first error names the entry.
func decodeList(sp spec, x any) ([]string, error) {
	items, ok := x.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a list of strings")
	}
	if len(items) > sp.max {
		return nil, fmt.Errorf("may hold at most %d entries", sp.max)
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		str, ok := it.(string)
		if !ok {
			return nil, fmt.Errorf("entry %d must be a string", i)
		}
		norm, err := sp.item(str)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%q) %s", i, str, err.Error())
		}
		if !slices.Contains(out, norm) {
			out = append(out, norm)
		}
	}
	return out, nil
}
