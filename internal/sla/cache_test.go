package sla_test

import (
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// policyOf is the id of the policy a new ticket in the department got, 0 for none.
func (d *desk) policyOf(department *int64) int64 {
	d.t.Helper()
	tk := d.get(d.open("urgent", department).ID)
	if tk.SlaPolicyID == nil {
		return 0
	}
	return *tk.SlaPolicyID
}

func (d *desk) updatePolicy(id int64, in sla.PolicyInput) {
	d.t.Helper()
	if _, err := d.policies.Update(d.ctx, d.admin, id, in); err != nil {
		d.t.Fatalf("update policy %d: %v", id, err)
	}
}

func (d *desk) exec(query string, args ...any) {
	d.t.Helper()
	if _, err := d.db.W.NewRaw(query, args...).Exec(d.ctx); err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
}

// TestPolicyChangesApplyToTheNextTicket: the engine caches the active policies, and every
// change made through the services reaches the very next ticket, with no clock advance.
func TestPolicyChangesApplyToTheNextTicket(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		vip := d.department("VIP")
		if got := d.policyOf(nil); got != 0 {
			t.Fatalf("policy %d with none defined", got)
		}
		standard := d.policy(nil)
		if got := d.policyOf(&vip); got != standard.ID {
			t.Fatalf("created default: policy %d, want %d", got, standard.ID)
		}
		fast := d.policy(func(in *sla.PolicyInput) {
			in.Name, in.IsDefault, in.DepartmentIDs = ptr("VIP"), ptr(false), &[]int64{vip}
		})
		if got := d.policyOf(&vip); got != fast.ID {
			t.Fatalf("created department policy: policy %d, want %d", got, fast.ID)
		}
		if got := d.policyOf(nil); got != standard.ID {
			t.Fatalf("no department: policy %d, want the default %d", got, standard.ID)
		}

		d.updatePolicy(fast.ID, sla.PolicyInput{DepartmentIDs: &[]int64{}})
		if got := d.policyOf(&vip); got != standard.ID {
			t.Fatalf("department unlinked: policy %d, want the default %d", got, standard.ID)
		}
		d.updatePolicy(fast.ID, sla.PolicyInput{DepartmentIDs: &[]int64{vip}})
		if got := d.policyOf(&vip); got != fast.ID {
			t.Fatalf("department linked again: policy %d, want %d", got, fast.ID)
		}
		d.updatePolicy(fast.ID, sla.PolicyInput{IsActive: ptr(false)})
		if got := d.policyOf(&vip); got != standard.ID {
			t.Fatalf("department policy deactivated: policy %d, want the default %d", got, standard.ID)
		}
		d.updatePolicy(fast.ID, sla.PolicyInput{IsActive: ptr(true), IsDefault: ptr(true)})
		if got := d.policyOf(nil); got != fast.ID {
			t.Fatalf("another policy made the default: policy %d, want %d", got, fast.ID)
		}

		// Changed targets count for the next ticket: urgent first response 1 h, then 2 h.
		hours := standardHours()
		hours["urgent"] = 2
		d.updatePolicy(fast.ID, sla.PolicyInput{FirstResponseHours: &hours})
		if tk := d.get(d.open("urgent", nil).ID); !tk.FirstResponseDueAt.Equal(*after(2 * time.Hour)) {
			t.Fatalf("changed targets: first response due %v", show(tk.FirstResponseDueAt))
		}

		if err := d.policies.Delete(d.ctx, d.admin, fast.ID); err != nil {
			t.Fatal(err)
		}
		if got := d.policyOf(&vip); got != 0 {
			t.Fatalf("the only active policies deleted: policy %d", got)
		}
	})
}

// TestScheduleChangesApplyToTheNextTicket: a policy counts in its schedule as the schedule is
// now, from the next ticket on.
func TestScheduleChangesApplyToTheNextTicket(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		office := d.newYorkOffice()
		d.policy(func(in *sla.PolicyInput) {
			in.BusinessHoursOnly = ptr(true)
			in.BusinessScheduleID = sla.NullableID{Set: true, ID: &office}
		})
		// Monday 10:00 UTC is 05:00 in New York: the hour starts at 09:00 EST (14:00 UTC).
		if tk := d.get(d.open("urgent", nil).ID); !tk.FirstResponseDueAt.Equal(*at("2026-03-02T15:00:00Z")) {
			t.Fatalf("New York office: first response due %v", show(tk.FirstResponseDueAt))
		}
		if _, err := d.svc.Update(d.ctx, d.admin, office, sla.ScheduleInput{Timezone: ptr("UTC")}); err != nil {
			t.Fatal(err)
		}
		if tk := d.get(d.open("urgent", nil).ID); !tk.FirstResponseDueAt.Equal(*at("2026-03-02T11:00:00Z")) {
			t.Fatalf("office moved to UTC: first response due %v", show(tk.FirstResponseDueAt))
		}
	})
}

// TestChangesBehindTheCacheWaitForItsTTL: a change the engine is not told of (another server
// process's, here plain SQL) reaches new tickets once cache.TTL has passed, not before.
func TestChangesBehindTheCacheWaitForItsTTL(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		vip := d.department("VIP")
		office := d.newYorkOffice()
		standard := d.policy(nil)
		fast := d.policy(func(in *sla.PolicyInput) {
			in.Name, in.IsDefault = ptr("VIP"), ptr(false)
			in.BusinessHoursOnly = ptr(true)
			in.BusinessScheduleID = sla.NullableID{Set: true, ID: &office}
		})
		if got := d.policyOf(&vip); got != standard.ID {
			t.Fatalf("policy %d, want the default %d", got, standard.ID)
		}
		// waitTTL checks that got() is still before at the end of the cache's TTL, and is
		// after once it has passed (a policy id, or a due date).
		waitTTL := func(what string, got func() int64, before, after int64) {
			t.Helper()
			d.clock.Advance(cache.TTL - time.Microsecond)
			if g := got(); g != before {
				t.Fatalf("%s, within the TTL: got %d, want still %d", what, g, before)
			}
			d.clock.Advance(time.Microsecond)
			if g := got(); g != after {
				t.Fatalf("%s, after the TTL: got %d, want %d", what, g, after)
			}
		}
		inVIP := func() int64 { return d.policyOf(&vip) }

		d.exec(`INSERT INTO sla_policy_departments (department_id, policy_id) VALUES (?, ?)`, vip, fast.ID)
		waitTTL("department linked", inVIP, standard.ID, fast.ID)

		// The schedule's calculator follows the schedule's updated_at as the cache read it.
		firstResponse := func() int64 {
			return d.get(d.open("urgent", &vip).ID).FirstResponseDueAt.UnixMilli()
		}
		d.clock.Set(*at("2026-03-03T10:00:00Z")) // Tuesday, 05:00 in New York
		nyDue := at("2026-03-03T15:00:00Z").UnixMilli()
		utcDue := at("2026-03-03T11:00:00Z").Add(cache.TTL).UnixMilli() // opened at 10:00 + TTL
		if got := firstResponse(); got != nyDue {
			t.Fatalf("New York office: first response due %v", time.UnixMilli(got).UTC())
		}
		d.exec(`UPDATE business_schedules SET timezone = 'UTC', updated_at = ? WHERE id = ?`, d.clock.Now(), office)
		waitTTL("schedule moved to UTC", firstResponse, nyDue, utcDue)

		d.exec(`UPDATE sla_policies SET is_active = FALSE WHERE id = ?`, fast.ID)
		waitTTL("department policy deactivated", inVIP, fast.ID, standard.ID)

		d.exec(`UPDATE sla_policies SET is_active = FALSE WHERE id = ?`, standard.ID)
		waitTTL("default policy deactivated", inVIP, standard.ID, 0)
	})
}

// TestPolicyDeletedElsewhereIsAConflict: another process deletes the policy this one still
// has cached; the ticket write that names it is refused as a conflict (409), not a server
// error, nothing of it is written, and the retry picks from the policies that exist.
func TestPolicyDeletedElsewhereIsAConflict(t *testing.T) {
	eachDesk(t, func(t *testing.T, d *desk) {
		standard := d.policy(nil)
		if got := d.policyOf(nil); got != standard.ID {
			t.Fatalf("policy %d, want %d", got, standard.ID)
		}
		d.exec(`DELETE FROM sla_policies WHERE id = ?`, standard.ID)
		_, err := d.tickets.Create(d.ctx, d.agent, ticket.CreateInput{
			Subject: "Help", Description: "Please", Priority: "urgent", RequesterID: &d.customer.UserID,
		})
		if !apperr.Is(err, apperr.KindConflict) {
			t.Fatalf("create naming a deleted policy: %v, want a conflict", err)
		}
		var n int
		if err := d.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE subject = 'Help'`).Scan(d.ctx, &n); err != nil || n != 0 {
			t.Fatalf("%d tickets written by the refused create (%v)", n, err)
		}
		if got := d.policyOf(nil); got != 0 {
			t.Fatalf("retry: policy %d, want none", got)
		}
	})
}
