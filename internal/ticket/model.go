// Package ticket is the ticket lifecycle: creating, replying, assigning, moving through the
// configurable status transitions, and every read of tickets. It is the one write path for
// tickets: nothing else updates the tickets table.
package ticket

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Built-in statuses.
const (
	StatusOpen              = "open"
	StatusInProgress        = "in_progress"
	StatusWaitingOnCustomer = "waiting_on_customer"
	StatusWaitingOnAgent    = "waiting_on_agent"
	StatusEscalated         = "escalated"
	StatusResolved          = "resolved"
	StatusClosed            = "closed"
	StatusReopened          = "reopened"
)

// Status categories; a custom status maps to one of them.
var Categories = []string{"new", "open", "pending", "on_hold", "solved"}

// Priorities in rising order.
var Priorities = []string{"low", "medium", "high", "urgent", "critical"}

// Types and channels.
var (
	Types    = []string{"question", "problem", "incident", "task"}
	Channels = []string{"web", "email", "widget", "api"}
)

// Ticket is a row of the tickets table.
type Ticket struct {
	bun.BaseModel `bun:"table:tickets,alias:t"`

	ID                       int64      `bun:"id,pk,autoincrement" json:"id"`
	Reference                string     `bun:"reference,nullzero" json:"reference"`
	Subject                  string     `bun:"subject" json:"subject"`
	Description              string     `bun:"description" json:"description"`
	Status                   string     `bun:"status" json:"status"`
	Priority                 string     `bun:"priority" json:"priority"`
	TicketType               string     `bun:"ticket_type" json:"ticket_type"`
	Channel                  string     `bun:"channel" json:"channel"`
	RequesterID              *int64     `bun:"requester_id" json:"requester_id"`
	ContactID                *int64     `bun:"contact_id" json:"contact_id"`
	AssignedTo               *int64     `bun:"assigned_to" json:"assigned_to"`
	AssignedAt               *time.Time `bun:"assigned_at" json:"assigned_at"`
	DepartmentID             *int64     `bun:"department_id" json:"department_id"`
	IsOpen                   bool       `bun:"is_open" json:"-"`
	FirstResponseAt          *time.Time `bun:"first_response_at" json:"first_response_at"`
	FirstResponseDueAt       *time.Time `bun:"first_response_due_at" json:"first_response_due_at"`
	ResolutionDueAt          *time.Time `bun:"resolution_due_at" json:"resolution_due_at"`
	SlaFirstResponseBreached bool       `bun:"sla_first_response_breached" json:"sla_first_response_breached"`
	SlaResolutionBreached    bool       `bun:"sla_resolution_breached" json:"sla_resolution_breached"`
	// SlaPolicyID is the SLA policy the due dates come from; nil when none applies.
	SlaPolicyID *int64 `bun:"sla_policy_id" json:"sla_policy_id"`
	// SlaPausedAt is when the SLA clock stopped (waiting on the customer or snoozed, when the
	// policy pauses for that, or solved); nil while it runs.
	SlaPausedAt *time.Time `bun:"sla_paused_at" json:"sla_paused_at"`
	// SlaPausedMicros is the clock time, in microseconds, of the stops that have ended: the
	// due dates lie that much further from creation than the policy's hours alone.
	SlaPausedMicros int64 `bun:"sla_paused_micros" json:"-"`
	// The warned flags record that a target's SlaWarning fired, so it fires once.
	SlaFirstResponseWarned bool       `bun:"sla_first_response_warned" json:"-"`
	SlaResolutionWarned    bool       `bun:"sla_resolution_warned" json:"-"`
	SnoozedUntil           *time.Time `bun:"snoozed_until" json:"snoozed_until"`
	LastReplyAt            *time.Time `bun:"last_reply_at" json:"last_reply_at"`
	ResolvedAt             *time.Time `bun:"resolved_at" json:"resolved_at"`
	ClosedAt               *time.Time `bun:"closed_at" json:"closed_at"`
	CreatedAt              time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt              time.Time  `bun:"updated_at" json:"updated_at"`
}

// Person is a user or contact as shown on a ticket.
type Person struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Named is a department or tag as shown on a ticket.
type Named struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Summary is a ticket as the lists show it.
type Summary struct {
	Ticket
	IsSnoozed      bool    `json:"is_snoozed"`
	Requester      *Person `json:"requester"`
	RequesterName  string  `json:"requester_name"`
	RequesterEmail string  `json:"requester_email"`
	Assignee       *Person `json:"assignee"`
	Department     *Named  `json:"department"`
	Tags           []Named `json:"tags"`
}

// Detail is a ticket with its conversation and history.
type Detail struct {
	Summary
	Replies              []Reply      `json:"replies"`
	Activities           []Activity   `json:"activities"`
	Attachments          []Attachment `json:"attachments"`
	RequesterTicketCount int          `json:"requester_ticket_count"`
	// Followers are the staff who follow the ticket, by name; staff views only.
	Followers []Person `json:"followers,omitzero"`
}

// Reply is a public reply or an internal note.
type Reply struct {
	bun.BaseModel `bun:"table:replies,alias:r"`

	ID             int64        `bun:"id,pk,autoincrement" json:"id"`
	TicketID       int64        `bun:"ticket_id" json:"ticket_id"`
	AuthorID       *int64       `bun:"author_id" json:"author_id"`
	ContactID      *int64       `bun:"contact_id" json:"-"`
	Body           string       `bun:"body" json:"body"`
	IsInternalNote bool         `bun:"is_internal_note" json:"is_internal_note"`
	IsPinned       bool         `bun:"is_pinned" json:"is_pinned"`
	CreatedAt      time.Time    `bun:"created_at" json:"created_at"`
	UpdatedAt      time.Time    `bun:"updated_at" json:"updated_at"`
	Author         *Person      `bun:"-" json:"author"`
	Attachments    []Attachment `bun:"-" json:"attachments"`
}

// Attachment is the metadata of a stored file.
type Attachment struct {
	bun.BaseModel `bun:"table:attachments"`

	ID               int64     `bun:"id,pk,autoincrement" json:"id"`
	TicketID         int64     `bun:"ticket_id" json:"-"`
	ReplyID          *int64    `bun:"reply_id" json:"reply_id"`
	OriginalFilename string    `bun:"original_filename" json:"original_filename"`
	MimeType         string    `bun:"mime_type" json:"mime_type"`
	Size             int64     `bun:"size" json:"size"`
	StorageKey       string    `bun:"storage_key" json:"-"`
	CreatedAt        time.Time `bun:"created_at" json:"created_at"`
	// URL is where the file is downloaded; the HTTP layer fills it in.
	URL string `bun:"-" json:"url,omitempty"`
}

// Activity is one entry of a ticket's timeline.
type Activity struct {
	bun.BaseModel `bun:"table:ticket_activities"`

	ID       int64  `bun:"id,pk,autoincrement" json:"id"`
	TicketID int64  `bun:"ticket_id" json:"ticket_id"`
	Type     string `bun:"type" json:"type"`
	CauserID *int64 `bun:"causer_id" json:"causer_id"`
	// CauserContactID is the contact of a guest who caused the entry.
	CauserContactID *int64          `bun:"causer_contact_id" json:"-"`
	Properties      json.RawMessage `bun:"properties,type:text" json:"properties"`
	CreatedAt       time.Time       `bun:"created_at" json:"created_at"`
	Causer          *Person         `bun:"-" json:"causer"`
}

func isOneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func priorityRank(p string) int {
	for i, x := range Priorities {
		if x == p {
			return i
		}
	}
	return -1
}
