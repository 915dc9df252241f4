package guest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/guest"
)

// TestConformance runs the family's guest-policy fixtures
// (../shared/escalated-contract/conformance/guest-policy) through the guest service.
// The fixtures' submissions come through the widget, which this desk does not have yet; the
// guest form's tickets are channel web, and the fixtures say nothing that depends on it.
func TestConformance(t *testing.T) {
	dir := os.Getenv("ESCALATED_CONTRACT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "escalated-contract")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "conformance", "guest-policy", "*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no guest-policy fixtures under %s (set ESCALATED_CONTRACT_DIR)", dir)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fx := parseFixture(string(b))
		t.Run(filepath.Base(file), func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				for k, v := range fx.sub("given").sub("settings") {
					e.set(k, v)
				}
				s := fx.sub("given").sub("submission")
				if s.str("email") == "" || len(fx.sub("expect")) == 0 || len(fx.sub("given").sub("settings")) == 0 {
					t.Fatalf("fixture not understood: %v", fx)
				}
				c, err := e.guests.Create(e.ctx, "", guest.CreateInput{
					Name: s.str("name"), Email: s.str("email"), Subject: or(s.str("subject"), "(fixture)"), Description: "From the fixture.",
				})
				if err != nil {
					t.Fatal(err)
				}
				want := fx.sub("expect")
				if m := want.str("policy_mode_applied"); m != "" && c.Policy != m {
					t.Errorf("policy %q, want %q", c.Policy, m)
				}
				tk := want.sub("ticket")
				if tk.str("requester_id") == "0" && c.Ticket.RequesterID != nil {
					t.Errorf("requester_id %d, want none", *c.Ticket.RequesterID)
				}
				if tk.str("contact_id") == "<created>" && c.Ticket.ContactID == nil {
					t.Error("no contact")
				}
				if c.Ticket.ContactID != nil {
					var contact struct {
						Name  string `bun:"name"`
						Email string `bun:"email"`
					}
					e.db.R.NewRaw(`SELECT name, email FROM contacts WHERE id = ?`, *c.Ticket.ContactID).Scan(e.ctx, &contact)
					if n := tk.str("guest_name"); n != "" && contact.Name != n {
						t.Errorf("guest name %q, want %q", contact.Name, n)
					}
					if m := tk.str("guest_email"); m != "" && contact.Email != m {
						t.Errorf("guest email %q, want %q", contact.Email, m)
					}
				}
				if want.str("host_user_created") == "false" {
					var users int
					e.db.R.NewRaw(`SELECT count(*) FROM users`).Scan(e.ctx, &users)
					if users != 0 {
						t.Errorf("%d users created", users)
					}
				}
			})
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// node is a fixture read as nested maps of strings: the fixtures are plain YAML mappings
// of scalars, with block scalars (|) that are skipped.
type node map[string]any

func (n node) sub(k string) node { m, _ := n[k].(node); return m }
func (n node) str(k string) string {
	s, _ := n[k].(string)
	return s
}

func parseFixture(src string) node {
	root := node{}
	type level struct {
		indent int
		n      node
	}
	stack := []level{{-1, root}}
	skipDeeper := -1
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if skipDeeper >= 0 {
			if trimmed == "" || indent > skipDeeper {
				continue
			}
			skipDeeper = -1
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, val, ok := strings.Cut(trimmed, ":")
		if !ok {
			continue
		}
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1].n
		val = strings.TrimSpace(val)
		switch {
		case val == "":
			child := node{}
			parent[key] = child
			stack = append(stack, level{indent, child})
		case val == "|" || val == ">":
			skipDeeper = indent
		default:
			parent[key] = strings.Trim(val, `"'`)
		}
	}
	return root
}
