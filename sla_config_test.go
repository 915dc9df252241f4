package escalated_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestSLAConfig: the SLA engine is on unless the configuration turns it off; then tickets get
// no policy and no due dates. A default business schedule that cannot be is refused.
func TestSLAConfig(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		off := false
		cfg := testdesk.Config(url)
		cfg.Sla.Enabled = &off
		d := testdesk.NewConfig(t, cfg)
		admin := d.User("admin")
		admin.Do("POST", "/admin/sla-policies", map[string]any{
			"name":                 "Standard",
			"first_response_hours": map[string]any{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25},
			"resolution_hours":     map[string]any{"low": 72, "medium": 24, "high": 12, "urgent": 4, "critical": 2},
			"is_default":           true,
		}).Want(201)
		tk, err := d.Tickets.Create(context.Background(), admin.ID, escalated.NewTicket{Subject: "No SLA", Description: "Off"})
		if err != nil {
			t.Fatal(err)
		}
		if tk.SlaPolicyID != nil || tk.FirstResponseDueAt != nil || tk.ResolutionDueAt != nil {
			t.Fatalf("a desk with the SLA engine off gave a ticket %v, %v, %v", tk.SlaPolicyID, tk.FirstResponseDueAt, tk.ResolutionDueAt)
		}
	})

	env := map[string]string{"ESCALATED_SLA_ENABLED": "false"}
	cfg, err := escalated.LoadConfig("", func(k string) string { return env[k] })
	if err != nil || cfg.Sla.Enabled == nil || *cfg.Sla.Enabled {
		t.Fatalf("LoadConfig with ESCALATED_SLA_ENABLED=false: enabled %v, err %v", cfg.Sla.Enabled, err)
	}

	bad := escalated.Config{Database: filepath.Join(t.TempDir(), "desk.db")}
	bad.Sla.BusinessHours = escalated.BusinessHoursConfig{Start: "09:00", End: "17:00", Timezone: "Mars/Olympus_Mons", Days: []int{1}}
	if _, err := escalated.New(bad); err == nil || !strings.Contains(err.Error(), "sla.business_hours") {
		t.Fatalf("New with an unknown time zone for the default business hours: %v", err)
	}
}
