package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Condition is one test of an escalation rule or automation; a rule acts on a ticket when all
// its conditions hold. Operator is used by automations' hours_since_* fields only.
type Condition struct {
	Field    string          `json:"field"`
	Operator string          `json:"operator,omitempty"`
	Value    json.RawMessage `json:"value"`
}

// Action is one change a macro, escalation rule or automation makes.
type Action struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Limits on what a rule may hold.
const (
	maxName        = 100
	maxDescription = 1000
	maxConditions  = 50
	maxActions     = 50
	maxListValue   = 100 // tags of one action, recipients of one notify
	maxSubjectText = 255
	maxBody        = 65535
	maxHours       = 24 * 366 * 10
	maxPosition    = 1_000_000
)

// valueKind is what a condition or action value must be.
type valueKind int

const (
	vNone             valueKind = iota // no value
	vStatus                            // an existing status slug
	vPriority                          // one of ticket.Priorities
	vType                              // one of ticket.Types
	vAssigned                          // "unassigned" or "any" (assigned to someone)
	vHours                             // a non-negative number of hours
	vBool                              // true or false
	vDepartment                        // an existing department id
	vDepartmentOrNull                  // an existing department id, or null for none
	vAgent                             // an active agent's user id
	vAgentOrNull                       // an active agent's user id, or null to unassign
	vTag                               // an existing tag id
	vTags                              // a list of existing tag ids
	vText                              // a line of text to look for
	vBody                              // the body of a reply or note
	vRecipients                        // a list of agent ids and "assignee"
)

// Operators of automations' hours_since_* conditions.
var Operators = []string{">", ">=", "<", "<=", "="}

// Assigned values of the assigned condition.
var Assigned = []string{"unassigned", "any"}

// The vocabulary of DOMAIN.md, by surface.
var (
	escalationConditions = map[string]valueKind{
		"status": vStatus, "priority": vPriority, "assigned": vAssigned, "age_hours": vHours,
		"no_response_hours": vHours, "sla_breached": vBool, "department_id": vDepartment,
	}
	escalationActions = map[string]valueKind{
		"escalate": vNone, "change_priority": vPriority, "assign_to": vAgent,
		"change_department": vDepartment, "notify": vRecipients,
	}
	// hours_since_last_reply is beyond DOMAIN.md's list: the family's conformance fixture
	// (admin-surfaces/automations-are-time-based) names it as a condition automations read.
	automationConditions = map[string]valueKind{
		"hours_since_created": vHours, "hours_since_updated": vHours, "hours_since_assigned": vHours,
		"hours_since_last_reply": vHours,
		"status":                 vStatus, "priority": vPriority, "assigned": vAssigned, "ticket_type": vType,
		"subject_contains": vText,
	}
	automationActions = map[string]valueKind{
		"change_status": vStatus, "change_priority": vPriority, "assign": vAgentOrNull,
		"add_tag": vTag, "set_ticket_type": vType, "add_note": vBody,
	}
	macroActions = map[string]valueKind{
		"status": vStatus, "priority": vPriority, "assign": vAgentOrNull, "tags": vTags,
		"department": vDepartmentOrNull, "reply": vBody, "note": vBody,
	}
)

// condition is a validated Condition.
type condition struct {
	field string
	op    string // automations' hours fields: one of Operators
	str   string
	hours float64
	id    int64
	flag  bool
}

// action is a validated Action.
type action struct {
	typ        string
	str        string
	id         *int64
	ids        []int64
	assignee   bool // notify: the ticket's assignee too
	recipients []int64
}

// op is the ticket change the action makes; notify changes no ticket and has none.
func (a action) op() (ticket.Op, bool) {
	switch a.typ {
	case "escalate":
		return ticket.OpStatus(ticket.StatusEscalated), true
	case "status", "change_status":
		return ticket.OpStatus(a.str), true
	case "priority", "change_priority":
		return ticket.OpPriority(a.str), true
	case "assign", "assign_to":
		return ticket.OpAssign(a.id), true
	case "department", "change_department":
		return ticket.OpDepartment(a.id), true
	case "tags", "add_tag":
		return ticket.OpAddTags(a.ids), true
	case "set_ticket_type":
		return ticket.OpType(a.str), true
	case "reply":
		return ticket.OpReply(ticket.ReplyInput{Body: a.str}), true
	case "note", "add_note":
		return ticket.OpReply(ticket.ReplyInput{Body: a.str, IsInternalNote: true}), true
	}
	return ticket.Op{}, false
}

// checker validates conditions and actions: their shape first, then, in one pass at the end,
// that the statuses, agents, departments and tags they name exist.
type checker struct {
	v       *apperr.Validation
	status  map[string][]string // slug → the fields naming it
	agent   map[int64][]string
	dept    map[int64][]string
	tag     map[int64][]string
	noCheck bool // stored rules are only parsed: what they name may have gone since
}

func newChecker(v *apperr.Validation) *checker {
	return &checker{v: v, status: map[string][]string{}, agent: map[int64][]string{}, dept: map[int64][]string{}, tag: map[int64][]string{}}
}

// parseConditions validates a rule's conditions against the fields of its kind.
func (ck *checker) parseConditions(list []Condition, fields map[string]valueKind, withOperators bool) []condition {
	switch {
	case len(list) == 0:
		ck.v.Add("conditions", "The conditions field must list at least one condition.")
		return nil
	case len(list) > maxConditions:
		ck.v.Addf("conditions", "A rule may have at most %d conditions.", maxConditions)
		return nil
	}
	out := make([]condition, 0, len(list))
	for i, c := range list {
		path := fmt.Sprintf("conditions.%d", i)
		kind, ok := fields[c.Field]
		if !ok {
			ck.unknown(path+".field", "condition field", c.Field, keys(fields))
			continue
		}
		cond := condition{field: c.Field}
		switch {
		case !withOperators && c.Operator != "":
			ck.v.Addf(path+".operator", "The %s.operator field is not accepted here: escalation rule conditions have no operator.", path)
			continue
		case withOperators && kind == vHours:
			if !slices.Contains(Operators, c.Operator) {
				ck.unknown(path+".operator", "operator", c.Operator, Operators)
				continue
			}
			cond.op = c.Operator
		case withOperators:
			// Fields other than hours compare for equality only.
			if c.Operator != "" && c.Operator != "=" {
				ck.v.Addf(path+".operator", "The %s.operator must be = for the %s field.", path, c.Field)
				continue
			}
			cond.op = "="
		}
		ck.value(path+".value", kind, c.Value, &cond.str, &cond.hours, &cond.id, &cond.flag)
		out = append(out, cond)
	}
	return out
}

// parseActions validates a list of actions against the types of its surface.
func (ck *checker) parseActions(list []Action, types map[string]valueKind) []action {
	switch {
	case len(list) == 0:
		ck.v.Add("actions", "The actions field must list at least one action.")
		return nil
	case len(list) > maxActions:
		ck.v.Addf("actions", "At most %d actions are allowed.", maxActions)
		return nil
	}
	out := make([]action, 0, len(list))
	for i, a := range list {
		path := fmt.Sprintf("actions.%d", i)
		kind, ok := types[a.Type]
		if !ok {
			ck.unknown(path+".type", "action type", a.Type, keys(types))
			continue
		}
		act := action{typ: a.Type}
		path += ".value"
		switch kind {
		case vNone:
			if len(a.Value) > 0 && string(a.Value) != "null" {
				ck.v.Addf(path, "The %s action takes no value.", a.Type)
			}
		case vAgentOrNull, vDepartmentOrNull:
			if string(a.Value) == "null" {
				break
			}
			var id int64
			ck.value(path, kind, a.Value, nil, nil, &id, nil)
			act.id = &id
		case vAgent, vDepartment, vTag:
			var id int64
			ck.value(path, kind, a.Value, nil, nil, &id, nil)
			act.id = &id
			if kind == vTag {
				act.ids = []int64{id}
			}
		case vTags:
			act.ids = ck.ids(path, a.Value, ck.tag)
		case vRecipients:
			act.recipients, act.assignee = ck.recipients(path, a.Value)
		default:
			ck.value(path, kind, a.Value, &act.str, nil, nil, nil)
		}
		out = append(out, act)
	}
	return out
}

// value checks one scalar value of the given kind and stores it in the matching target.
func (ck *checker) value(path string, kind valueKind, raw json.RawMessage, str *string, hours *float64, id *int64, flag *bool) {
	if len(raw) == 0 || string(raw) == "null" {
		ck.v.Addf(path, "The %s field is required.", path)
		return
	}
	switch kind {
	case vStatus, vPriority, vType, vAssigned, vText, vBody:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			ck.v.Addf(path, "The %s field must be of type string.", path)
			return
		}
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			ck.v.Addf(path, "The %s field contains invalid characters.", path)
			return
		}
		*str = s
		switch kind {
		case vStatus:
			if s == "" || utf8.RuneCountInString(s) > 64 {
				ck.v.Addf(path, "The status %q does not exist.", s)
			} else if !ck.noCheck {
				ck.status[s] = append(ck.status[s], path)
			}
		case vPriority:
			ck.oneOf(path, s, ticket.Priorities)
		case vType:
			ck.oneOf(path, s, ticket.Types)
		case vAssigned:
			ck.oneOf(path, s, Assigned)
		case vText:
			ck.text(path, s, maxSubjectText)
		case vBody:
			ck.text(path, s, maxBody)
		}
	case vHours:
		var h float64
		if json.Unmarshal(raw, &h) != nil {
			ck.v.Addf(path, "The %s field must be of type number.", path)
			return
		}
		if h < 0 || h > maxHours || math.IsNaN(h) {
			ck.v.Addf(path, "The %s field must be a number of hours from 0 to %d.", path, maxHours)
			return
		}
		*hours = h
	case vBool:
		if json.Unmarshal(raw, flag) != nil {
			ck.v.Addf(path, "The %s field must be of type boolean.", path)
		}
	default: // ids
		if json.Unmarshal(raw, id) != nil || *id < 1 {
			ck.v.Addf(path, "The %s field must be the id of %s.", path, what(kind))
			return
		}
		if ck.noCheck {
			return
		}
		switch kind {
		case vAgent, vAgentOrNull:
			ck.agent[*id] = append(ck.agent[*id], path)
		case vDepartment, vDepartmentOrNull:
			ck.dept[*id] = append(ck.dept[*id], path)
		case vTag:
			ck.tag[*id] = append(ck.tag[*id], path)
		}
	}
}

// ids reads a non-empty list of ids, without repeats, to be checked against into.
func (ck *checker) ids(path string, raw json.RawMessage, into map[int64][]string) []int64 {
	var list []int64
	switch {
	case json.Unmarshal(raw, &list) != nil:
		ck.v.Addf(path, "The %s field must be a list of ids.", path)
		return nil
	case len(list) == 0:
		ck.v.Addf(path, "The %s field must list at least one id.", path)
		return nil
	case len(list) > maxListValue:
		ck.v.Addf(path, "The %s field may list at most %d ids.", path, maxListValue)
		return nil
	}
	out := make([]int64, 0, len(list))
	for i, id := range list {
		if id < 1 {
			ck.v.Addf(fmt.Sprintf("%s.%d", path, i), "The %s.%d field must be a positive id.", path, i)
			continue
		}
		if slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
		if !ck.noCheck {
			into[id] = append(into[id], fmt.Sprintf("%s.%d", path, i))
		}
	}
	return out
}

// recipients reads the list of a notify action: agent ids, and "assignee" for whoever the
// ticket is assigned to when the rule acts.
func (ck *checker) recipients(path string, raw json.RawMessage) ([]int64, bool) {
	var list []json.RawMessage
	switch {
	case json.Unmarshal(raw, &list) != nil:
		ck.v.Addf(path, `The %s field must be a list of agent ids and "assignee".`, path)
		return nil, false
	case len(list) == 0:
		ck.v.Addf(path, "The %s field must list at least one recipient.", path)
		return nil, false
	case len(list) > maxListValue:
		ck.v.Addf(path, "The %s field may list at most %d recipients.", path, maxListValue)
		return nil, false
	}
	var ids []int64
	assignee := false
	for i, item := range list {
		p := fmt.Sprintf("%s.%d", path, i)
		if bytes.Equal(item, []byte(`"assignee"`)) {
			assignee = true
			continue
		}
		var id int64
		if json.Unmarshal(item, &id) != nil || id < 1 {
			ck.v.Addf(p, `The %s field must be an agent id or "assignee".`, p)
			continue
		}
		if slices.Contains(ids, id) {
			continue
		}
		ids = append(ids, id)
		if !ck.noCheck {
			ck.agent[id] = append(ck.agent[id], p)
		}
	}
	return ids, assignee
}

func (ck *checker) oneOf(path, s string, allowed []string) {
	if !slices.Contains(allowed, s) {
		ck.v.Addf(path, "The %s must be one of: %s.", path, strings.Join(allowed, ", "))
	}
}

func (ck *checker) text(path, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		ck.v.Addf(path, "The %s field is required.", path)
	case utf8.RuneCountInString(s) > max:
		ck.v.Addf(path, "The %s field may not be greater than %d characters.", path, max)
	}
}

// unknown reports a name that is not in the vocabulary. A name that cannot be shown (too
// long, not text) is left out of the message.
func (ck *checker) unknown(path, what, got string, allowed []string) {
	if got == "" {
		ck.v.Addf(path, "The %s field is required; use one of: %s.", path, strings.Join(allowed, ", "))
		return
	}
	if len(got) > 64 || !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
		ck.v.Addf(path, "Unknown %s; use one of: %s.", what, strings.Join(allowed, ", "))
		return
	}
	ck.v.Addf(path, "Unknown %s %q; use one of: %s.", what, got, strings.Join(allowed, ", "))
}

// verify checks that everything the rule names exists: statuses, active agents, departments
// and tags.
func (ck *checker) verify(ctx context.Context, idb bun.IDB) error {
	for slug, paths := range ck.status {
		n, err := idb.NewSelect().Table("statuses").Where("slug = ?", slug).Count(ctx)
		if err != nil {
			return fmt.Errorf("rules: check status: %w", err)
		}
		if n == 0 {
			for _, p := range paths {
				ck.v.Addf(p, "The status %q does not exist.", slug)
			}
		}
	}
	for id, paths := range ck.agent {
		n, err := idb.NewSelect().Table("users").Where("id = ? AND is_active = TRUE AND role <> ?", id, auth.RoleCustomer).Count(ctx)
		if err != nil {
			return fmt.Errorf("rules: check agent: %w", err)
		}
		if n == 0 {
			for _, p := range paths {
				ck.v.Addf(p, "User %d is not an active agent.", id)
			}
		}
	}
	for _, ref := range []struct {
		table, what string
		ids         map[int64][]string
	}{{"departments", "Department", ck.dept}, {"tags", "Tag", ck.tag}} {
		for id, paths := range ref.ids {
			n, err := idb.NewSelect().Table(ref.table).Where("id = ?", id).Count(ctx)
			if err != nil {
				return fmt.Errorf("rules: check %s: %w", ref.table, err)
			}
			if n == 0 {
				for _, p := range paths {
					ck.v.Addf(p, "%s %d does not exist.", ref.what, id)
				}
			}
		}
	}
	return nil
}

func what(kind valueKind) string {
	switch kind {
	case vAgent, vAgentOrNull:
		return "an active agent"
	case vDepartment, vDepartmentOrNull:
		return "a department"
	}
	return "a tag"
}

func keys(m map[string]valueKind) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// normalizeConditions and normalizeActions store what was validated in one shape: compact
// JSON values and every automation condition with its operator. parsed is the validated form
// of list.
func normalizeConditions(list []Condition, parsed []condition) []Condition {
	out := make([]Condition, len(list))
	for i, c := range list {
		out[i] = Condition{Field: c.Field, Operator: parsed[i].op, Value: compact(c.Value)}
	}
	return out
}

func normalizeActions(list []Action) []Action {
	out := make([]Action, len(list))
	for i, a := range list {
		out[i] = Action{Type: a.Type, Value: compact(a.Value)}
	}
	return out
}

func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
