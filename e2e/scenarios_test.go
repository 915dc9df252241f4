package e2e

import (
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// Each scenario runs on SQLite and on PostgreSQL (eachDesk) and saves screenshots of the
// pages it checks. To add one, wrap it in eachDesk (it skips without Chromium before starting
// desks), make people with NewPerson (an account, signed out) or Visitor (no account), and
// write what they do and what they should then see.

// A customer signs in through the sign-in page, opens a ticket, lands on it and finds it in
// their list.
func TestCustomerOpensTicket(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) {
		ada := NewPerson(t, d, "customer", "Ada Lovelace")
		ada.SignIn()
		ada.WaitPath("/tickets")
		ada.WaitHeading("My tickets")
		ada.WaitText("You have no tickets yet")

		ada.Click("Open a ticket")
		ada.WaitHeading("New ticket")
		ada.Fill("Subject", "The engine skips a card")
		ada.Fill("How can we help?", "Card 42 of the program is never read.\nIt happened twice.")
		ada.Choose("Priority", "High")
		ada.Click("Open ticket")

		ref := ada.WaitPath("/tickets/[A-Z0-9-]+")[len("/tickets/"):]
		ada.WaitHeading("The engine skips a card")
		ada.WaitText("Ticket created.")
		ada.WaitText(ref)
		ada.WaitText("Card 42 of the program is never read.")
		ada.WaitFor("the status Open and priority High", `document.querySelector('main').innerText.includes('Open') && document.querySelector('main').innerText.includes('High')`)
		ada.WaitText("No replies yet.")
		ada.Screenshot("customer-ticket")

		ada.Click("All my tickets")
		ada.WaitHeading("My tickets")
		ada.WaitFor("the ticket in the list", `[...document.querySelectorAll('main li a')].some((a) => a.textContent.trim() === 'The engine skips a card')`)
		ada.WaitText(ref)
		ada.Screenshot("customer-tickets")
	})
}

// An agent signs in, narrows the queue to one customer's ticket, opens it, replies and
// resolves it; the customer then signs in and reads the reply.
func TestAgentAnswersCustomer(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) {
		grace := NewPerson(t, d, "customer", "Grace Hopper")
		ref := grace.API().Do("POST", "/tickets", map[string]any{"subject": "Moth in relay 70", "description": "Panel F stopped."}).Want(201).Data()["reference"].(string)
		d.User("customer").Do("POST", "/tickets", map[string]any{"subject": "Printer on fire", "description": "Smoke everywhere."}).Want(201)

		alan := NewPerson(t, d, "agent", "Alan Turing")
		alan.SignIn()
		alan.WaitPath("/agent/tickets/dashboard")
		alan.Click("Tickets")
		alan.WaitHeading("Tickets")
		queue := `[...document.querySelectorAll('a[data-row-link]')].filter((a) => a.offsetParent !== null).map((a) => a.textContent.trim()).sort().join('|')`
		alan.WaitFor("both tickets in the queue", queue+` === 'Moth in relay 70|Printer on fire'`)

		alan.Fill("Search", "relay")
		alan.WaitFor("the search to leave one ticket", queue+` === 'Moth in relay 70'`)
		alan.WaitFor("the search in the address", `new URLSearchParams(location.search).get('search') === 'relay'`)
		alan.Choose("Status", "Open")
		alan.WaitFor("the status filter in the address", `new URLSearchParams(location.search).get('status') === 'open'`)
		alan.WaitFor("the ticket to stay", queue+` === 'Moth in relay 70'`)
		alan.WaitText("1 ticket")
		alan.Screenshot("agent-queue")

		alan.Click("Moth in relay 70")
		alan.WaitPath("/agent/tickets/" + ref)
		alan.WaitHeading("Moth in relay 70")
		alan.WaitText("Panel F stopped.")
		alan.Fill("Message", "We taped the moth into the log book. Panel F runs again.")
		alan.Click("Send reply")
		alan.WaitText("Reply sent.")
		alan.WaitFor("the reply in the conversation", `[...document.querySelectorAll('ol[aria-label=Conversation] li')].some((li) => li.innerText.includes('Alan Turing') && li.innerText.includes('We taped the moth'))`)

		alan.Choose("Status", "Resolved")
		alan.Click("Save status")
		alan.WaitText("Status changed.")
		alan.WaitFor("the Resolved badge", `[...document.querySelectorAll('.esc-badge')].some((b) => b.textContent.includes('Resolved'))`)
		alan.Screenshot("agent-ticket")

		grace.SignIn()
		grace.WaitHeading("My tickets")
		grace.WaitFor("the ticket listed as resolved", `[...document.querySelectorAll('main li')].some((li) => li.innerText.includes('Moth in relay 70') && li.innerText.includes('Resolved'))`)
		grace.Click("Moth in relay 70")
		grace.WaitPath("/tickets/" + ref)
		grace.WaitFor("the agent's reply", `[...document.querySelectorAll('ol[aria-label=Conversation] li')].some((li) => li.innerText.includes('Alan Turing') && li.innerText.includes('We taped the moth into the log book.'))`)
		grace.Screenshot("customer-reply")
	})
}

// An admin creates a department through its form and finds it in the list.
func TestAdminCreatesDepartment(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) {
		root := NewPerson(t, d, "admin", "Margaret Hamilton")
		root.SignIn()
		root.WaitPath("/agent/tickets/dashboard")
		root.Click("Admin")
		root.WaitHeading("Departments")
		root.WaitText("No departments yet")
		root.Click("New department")
		root.WaitHeading("New department")
		root.Fill("Name", "Flight software")
		root.Fill("Description", "Guidance and navigation.")
		root.Click("Create department")
		root.WaitPath("/admin/departments")
		root.WaitHeading("Departments")
		root.WaitText("Department created.")
		root.WaitFor("the department in the list", `[...document.querySelectorAll('tbody tr')].some((tr) => tr.innerText.includes('Flight software') && tr.innerText.includes('Guidance and navigation.'))`)
		root.Screenshot("admin-departments")
	})
}

// A customer who types another customer's ticket address gets the 404 page, and nothing of
// the ticket.
func TestCustomerCannotOpenOthersTicket(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) {
		owner := d.User("customer")
		ref := owner.Do("POST", "/tickets", map[string]any{"subject": "My salary slip", "description": "Account 12345678."}).Want(201).Data()["reference"].(string)

		eve := NewPerson(t, d, "customer", "Eve Intruder")
		eve.SignIn()
		eve.WaitHeading("My tickets")
		if status := eve.Visit("/tickets/" + ref); status != 404 {
			t.Errorf("another customer's ticket: HTTP status %d, want 404", status)
		}
		eve.WaitHeading("Page not found")
		eve.WaitText("Error 404")
		if text := eve.Eval(`document.body.innerText`); containsAny(text, "My salary slip", "12345678", ref) {
			t.Errorf("the error page shows the ticket: %q", text)
		}
		eve.Screenshot("error-404")

		// The page's own way home still works for the signed-in customer.
		eve.Click("Go to the start page")
		eve.WaitHeading("My tickets")
	})
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A guest opens a ticket from the public form, lands on its private link and replies there;
// when an agent answers, the link alone (in another browser) shows the answer.
func TestGuestOpensTicketByLink(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) {
		lin := Visitor(t, d)
		if status := lin.Visit("/guest/create"); status != 200 {
			t.Fatalf("the guest form answered %d", status)
		}
		lin.WaitHeading("Contact support")
		lin.Fill("Your name", "Lin Guest")
		lin.Fill("Your email", "lin@example.test")
		lin.Fill("Subject", "Invoice shows the wrong address")
		lin.Fill("How can we help?", "The March invoice still has our old street.")
		lin.Click("Open ticket")

		link := lin.WaitPath("/guest/[A-Za-z0-9]{64}")
		lin.WaitHeading("Invoice shows the wrong address")
		lin.WaitFor("the private link on the page", `document.querySelector('[data-testid=guest-link]').textContent.includes(location.pathname)`)
		lin.Fill("Message", "It is Elm Street 4 now.")
		lin.Click("Send reply")
		lin.WaitFor("the guest's reply in the conversation", `[...document.querySelectorAll('ol[aria-label=Conversation] li')].some((li) => li.innerText.includes('Elm Street 4'))`)
		lin.Screenshot("guest-ticket")

		agent := d.User("agent")
		queue := agent.Do("GET", "/agent/tickets?search=Invoice", nil).Want(200).JSON()
		rows := queue["data"].([]any)
		if len(rows) != 1 {
			t.Fatalf("the agent's queue has %d tickets for the guest's subject, want 1", len(rows))
		}
		ref := rows[0].(map[string]any)["reference"].(string)
		agent.Do("POST", "/agent/tickets/"+ref+"/reply", map[string]any{"body": "Fixed: the new invoice is on its way."}).Want(201)

		later := Visitor(t, d)
		if status := later.Visit(link); status != 200 {
			t.Fatalf("the private link answered %d", status)
		}
		later.WaitFor("the agent's answer", `[...document.querySelectorAll('ol[aria-label=Conversation] li')].some((li) => li.innerText.includes('the new invoice is on its way'))`)
		later.Screenshot("guest-reply")
	})
}
