package ticket_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func TestFollowingIsAToggleThatLeavesTheTicketAlone(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, light, other := e.user("customer"), e.user("agent"), e.user("light_agent"), e.user("agent")
		tk := e.open(customer, "Keep me posted")
		events := e.events.len()
		updated := tk.UpdatedAt
		e.clock.Advance(60e9)

		st, err := e.svc.ToggleFollow(e.ctx, agent, tk.ID)
		if err != nil || !st.IsFollowing || st.FollowersCount != 1 {
			t.Fatalf("follow = %+v, %v", st, err)
		}
		// A light agent may follow: it changes nothing on the ticket.
		if st, err = e.svc.ToggleFollow(e.ctx, light, tk.ID); err != nil || !st.IsFollowing || st.FollowersCount != 2 {
			t.Fatalf("light follow = %+v, %v", st, err)
		}
		if st, err = e.svc.FollowStateOf(e.ctx, other, tk.ID); err != nil || st.IsFollowing || st.FollowersCount != 2 {
			t.Fatalf("other's view = %+v, %v", st, err)
		}
		for who, want := range map[int64]bool{agent.UserID: true, light.UserID: true, other.UserID: false, customer.UserID: false} {
			if got, err := e.svc.IsFollower(e.ctx, tk.ID, who); err != nil || got != want {
				t.Errorf("IsFollower(%d) = %v, %v; want %v", who, got, err, want)
			}
		}
		if st, err = e.svc.ToggleFollow(e.ctx, agent, tk.ID); err != nil || st.IsFollowing || st.FollowersCount != 1 {
			t.Fatalf("unfollow = %+v, %v", st, err)
		}

		// SetFollowing asks for a state: asking for the one that holds writes nothing.
		audits := e.audits(tk.ID)
		if st, err = e.svc.SetFollowing(e.ctx, light, tk.ID, true); err != nil || !st.IsFollowing || st.FollowersCount != 1 {
			t.Fatalf("set following again = %+v, %v", st, err)
		}
		if st, err = e.svc.SetFollowing(e.ctx, agent, tk.ID, false); err != nil || st.IsFollowing {
			t.Fatalf("set not following again = %+v, %v", st, err)
		}
		if got := e.audits(tk.ID); !slices.Equal(got, audits) {
			t.Fatalf("no-op follows were audited: %v", got)
		}

		// No timeline entry, no event, no updated_at: following is about the follower.
		if got := e.activities(tk.ID); len(got) != 0 {
			t.Fatalf("activities %v", got)
		}
		if e.events.len() != events {
			t.Fatal("following published events")
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil || !d.UpdatedAt.Equal(updated) {
			t.Fatalf("updated_at moved: %v → %v (%v)", updated, d.UpdatedAt, err)
		}
		want := []string{"ticket.created", "ticket.followed", "ticket.followed", "ticket.unfollowed"}
		if got := e.audits(tk.ID); !slices.Equal(got, want) {
			t.Fatalf("audits %v, want %v", got, want)
		}
		if n := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.followed' AND actor_id = ? AND resource_id = ?`, light.UserID, tk.ID); n != 1 {
			t.Fatalf("light agent's follow audited %d times", n)
		}
	})
}

func TestFollowersAreShownToStaffOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, admin := e.user("customer"), e.user("agent"), e.user("admin")
		tk := e.open(customer, "Watched")
		for _, a := range []string{"agent", "admin"} {
			who := agent
			if a == "admin" {
				who = admin
			}
			if _, err := e.svc.ToggleFollow(e.ctx, who, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		// By name: "admin 3" before "agent 2".
		if len(d.Followers) != 2 || d.Followers[0].ID != admin.UserID || d.Followers[1].ID != agent.UserID || d.Followers[0].Email != "" {
			t.Fatalf("followers %+v", d.Followers)
		}
		for name, get := range map[string]func() (*ticket.Detail, error){
			"requester":          func() (*ticket.Detail, error) { return e.svc.Get(e.ctx, customer, tk.ID) },
			"staff as requester": func() (*ticket.Detail, error) { return e.svc.GetForRequester(e.ctx, admin, tk.ID) },
		} {
			d, err := get()
			if err != nil || d.Followers != nil {
				t.Fatalf("%s sees followers %+v (%v)", name, d.Followers, err)
			}
		}
		// A ticket nobody follows shows an empty list to staff.
		other := e.open(customer, "Quiet")
		if d, err := e.svc.Get(e.ctx, agent, other.ID); err != nil || d.Followers == nil || len(d.Followers) != 0 {
			t.Fatalf("quiet followers %+v (%v)", d.Followers, err)
		}
	})
}

func TestFollowIsForStaffWhoSeeTheTicket(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		blind := e.role("blind", "reply.create")
		noView := e.user(blind)
		tk := e.open(customer, "Mine")

		// The requester is no follower: they own the ticket.
		_, err := e.svc.ToggleFollow(e.ctx, customer, tk.ID)
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.FollowStateOf(e.ctx, customer, tk.ID)
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.ToggleFollow(e.ctx, noView, tk.ID)
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.ToggleFollow(e.ctx, agent, 999999)
		wantErr(t, err, apperr.KindNotFound)
		if n := e.count(`SELECT count(*) FROM ticket_followers`); n != 0 {
			t.Fatalf("%d follows written", n)
		}

		// Deleting the ticket takes its followers with it.
		admin := e.user("admin")
		if _, err := e.svc.ToggleFollow(e.ctx, agent, tk.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, admin, tk.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(`SELECT count(*) FROM ticket_followers`); n != 0 {
			t.Fatalf("%d follows outlive their ticket", n)
		}
		if got, err := e.svc.IsFollower(e.ctx, tk.ID, agent.UserID); err != nil || got {
			t.Fatalf("IsFollower after delete = %v, %v", got, err)
		}
	})
}

func TestListFollowedTickets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, other := e.user("customer"), e.user("agent"), e.user("agent")
		a := e.open(customer, "A")
		e.open(customer, "B")
		c := e.open(customer, "C")
		for _, id := range []int64{a.ID, c.ID} {
			if _, err := e.svc.ToggleFollow(e.ctx, agent, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.ToggleFollow(e.ctx, other, a.ID); err != nil {
			t.Fatal(err)
		}
		me := agent.UserID
		page, err := e.svc.List(e.ctx, agent, ticket.Filter{FollowedBy: &me, Sort: "subject"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range page.Items {
			got = append(got, s.Subject)
		}
		if page.Total != 2 || !slices.Equal(got, []string{"A", "C"}) {
			t.Fatalf("followed %v (total %d)", got, page.Total)
		}
	})
}

func TestConcurrentFollowsCountOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		agents := []*auth.Actor{e.user("agent"), e.user("agent"), e.user("agent"), e.user("agent")}
		tk := e.open(customer, "Popular")
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for range 4 {
			for _, a := range agents {
				wg.Go(func() {
					if _, err := e.svc.SetFollowing(e.ctx, a, tk.ID, true); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		st, err := e.svc.FollowStateOf(e.ctx, agents[0], tk.ID)
		if err != nil || st.FollowersCount != 4 || !st.IsFollowing {
			t.Fatalf("state %+v, %v", st, err)
		}
		if n := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.followed' AND resource_id = ?`, tk.ID); n != 4 {
			t.Fatalf("%d follow audit entries for 4 followers", n)
		}
	})
}
