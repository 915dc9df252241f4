package ticket_test

import (
	"testing"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestAttachmentsCommitWithTheirChange: attachment rows are written in the reply's or the
// ticket's transaction, so one that cannot be written takes the whole change with it.
func TestAttachmentsCommitWithTheirChange(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		file := ticket.File{Filename: "a.txt", MimeType: "text/plain; charset=utf-8", Size: 1, StorageKey: "aa/one"}
		tk, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "s", Description: "d", Attachments: []ticket.File{file}})
		if err != nil {
			t.Fatal(err)
		}
		events := len(e.events.names(tk.ID))
		// A second row naming the same stored file breaks the unique storage key.
		_, err = e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "b", Attachments: []ticket.File{file}})
		if err == nil {
			t.Fatal("a reply reusing a stored file was written")
		}
		if n := e.count(`SELECT count(*) FROM replies WHERE ticket_id = ?`, tk.ID); n != 0 {
			t.Fatalf("%d replies written by a failed change", n)
		}
		if n := e.count(`SELECT count(*) FROM attachments`); n != 1 {
			t.Fatalf("%d attachment rows, want 1", n)
		}
		if got := len(e.events.names(tk.ID)); got != events {
			t.Fatal("a failed change published events")
		}
		_, err = e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "s2", Description: "d", Attachments: []ticket.File{file}})
		if err == nil || e.count(`SELECT count(*) FROM tickets`) != 1 {
			t.Fatalf("a ticket reusing a stored file: err %v, tickets %d", err, e.count(`SELECT count(*) FROM tickets`))
		}
		// Files a caller built wrongly are refused by index.
		_, err = e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "b", Attachments: []ticket.File{file, {Filename: "x"}}})
		if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["attachments.1"]) == 0 {
			t.Fatalf("fields = %v", ae.Fields)
		}
	})
}

func TestAttachmentAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		alice, bob, agent := e.user("customer"), e.user("customer"), e.user("agent")
		outsider := e.user(e.role("reporter", "report.view"))
		files := func(key string) []ticket.File {
			return []ticket.File{{Filename: key + ".txt", MimeType: "text/plain", Size: 1, StorageKey: key}}
		}
		tk, err := e.svc.Create(e.ctx, alice, ticket.CreateInput{Subject: "s", Description: "d", Attachments: files("t")})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "r", Attachments: files("r")})
		if err != nil {
			t.Fatal(err)
		}
		note, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "n", IsInternalNote: true, Attachments: files("n")})
		if err != nil {
			t.Fatal(err)
		}
		var onTicket int64
		if err := e.db.R.NewRaw(`SELECT id FROM attachments WHERE reply_id IS NULL`).Scan(e.ctx, &onTicket); err != nil {
			t.Fatal(err)
		}
		onReply, onNote := reply.Attachments[0].ID, note.Attachments[0].ID
		may := map[string]map[int64]bool{
			"alice":    {onTicket: true, onReply: true, onNote: false},
			"bob":      {onTicket: false, onReply: false, onNote: false},
			"agent":    {onTicket: true, onReply: true, onNote: true},
			"outsider": {onTicket: false, onReply: false, onNote: false},
		}
		actors := map[string]*auth.Actor{"alice": alice, "bob": bob, "agent": agent, "outsider": outsider}
		for name, ids := range may {
			for id, want := range ids {
				a, err := e.svc.Attachment(e.ctx, actors[name], id)
				switch {
				case want && (err != nil || a.ID != id || a.StorageKey == ""):
					t.Fatalf("%s may download %d: %v, %v", name, id, a, err)
				case !want:
					wantErr(t, err, apperr.KindNotFound)
				}
			}
		}
		_, err = e.svc.Attachment(e.ctx, agent, onNote+100)
		wantErr(t, err, apperr.KindNotFound)
	})
}
