package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Triggers are the events a workflow runs on (DOMAIN.md). There is no time trigger:
// workflows are event-driven, and time-based rules are automations.
var Triggers = []string{
	"ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned",
	"ticket.priority_changed", "ticket.tagged", "ticket.department_changed", "reply.created",
	"reply.agent_reply", "sla.warning", "sla.breached", "ticket.reopened",
}

// Operators are the comparisons a condition rule makes (DOMAIN.md).
var Operators = []string{
	"equals", "not_equals", "contains", "not_contains", "in", "not_in", "greater_than",
	"less_than", "greater_than_or_equal", "less_than_or_equal", "is_empty", "is_not_empty", "matches",
}

// ActionTypes are what a workflow can do (DOMAIN.md).
var ActionTypes = []string{
	"assign_agent", "change_status", "change_priority", "add_tag", "remove_tag",
	"move_department", "add_internal_note", "send_notification", "send_webhook", "apply_macro",
	"close_ticket", "snooze_ticket", "delay",
}

// Conditions decide whether a workflow acts on the ticket of an event: all of Rules must hold
// when Match is "all", one of them when it is "any". No rules always hold.
type Conditions struct {
	Match string `json:"match"`
	Rules []Rule `json:"rules"`
}

// Rule is one condition: the ticket's Field compared by Operator with Value.
type Rule struct {
	Field    string          `json:"field"`
	Operator string          `json:"operator"`
	Value    json.RawMessage `json:"value,omitempty"`
}

// Action is one thing a workflow does; Value's shape depends on Type.
type Action struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Limits on what a workflow may hold.
const (
	maxName        = 100
	maxDescription = 1000
	maxRules       = 50
	maxActions     = 50
	maxList        = 100 // values of in / not_in, recipients of a notification
	maxText        = 255 // a text a condition compares with
	maxBody        = 65535
	maxMessage     = 1000
	maxURL         = 2048
	maxPosition    = 1_000_000
	maxHours       = 24 * 366 * 10
	maxSnooze      = 60 * 24 * 365 // minutes
	maxDelay       = 60 * 24 * 90  // minutes
	// A matches pattern is compiled once when saved and run against every event's ticket.
	// Go's regular expressions cannot backtrack catastrophically: they run in time linear in
	// the text. The factor grows with the compiled program, though, so both the pattern and
	// its program are capped (docs/decisions.md has the measured costs).
	maxPattern     = 256
	maxPatternInst = 300
)

// fieldKind is the type of a ticket field as conditions see it.
type fieldKind int

const (
	kText     fieldKind = iota // free text, compared ignoring case
	kEnum                      // one of a fixed set: a status, type or channel
	kPriority                  // a priority, ordered low to critical
	kRef                       // the id of a row, or none
	kTags                      // the ids of the ticket's tags
	kBool                      // true or false
	kNumber                    // a number of hours
)

// ref names the table a value must exist in when a workflow is saved.
type ref int

const (
	refNone ref = iota
	refStatus
	refAgent
	refUser
	refDepartment
	refTag
	refMacro
)

type fieldSpec struct {
	kind  fieldKind
	ref   ref
	oneOf []string // kEnum values when not statuses
}

// fields are the ticket fields conditions can test. reply_body is the body of the reply an
// event is about, for the reply triggers only.
var fields = map[string]fieldSpec{
	"status":              {kind: kEnum, ref: refStatus},
	"priority":            {kind: kPriority},
	"ticket_type":         {kind: kEnum, oneOf: ticket.Types},
	"channel":             {kind: kEnum, oneOf: ticket.Channels},
	"subject":             {kind: kText},
	"description":         {kind: kText},
	"reference":           {kind: kText},
	"requester_email":     {kind: kText},
	"reply_body":          {kind: kText},
	"department_id":       {kind: kRef, ref: refDepartment},
	"assigned_to":         {kind: kRef, ref: refAgent},
	"requester_id":        {kind: kRef, ref: refUser},
	"tags":                {kind: kTags, ref: refTag},
	"sla_breached":        {kind: kBool},
	"hours_since_created": {kind: kNumber},
}

// Fields are the ticket fields condition rules can test, sorted.
var Fields = sortedKeys(fields)

// operatorsFor is what each kind of field can be compared with. On tags, contains and
// not_contains test one tag, in and not_in any of a list.
var operatorsFor = map[fieldKind][]string{
	kText:     {"equals", "not_equals", "contains", "not_contains", "in", "not_in", "is_empty", "is_not_empty", "matches"},
	kEnum:     {"equals", "not_equals", "in", "not_in"},
	kPriority: {"equals", "not_equals", "in", "not_in", "greater_than", "less_than", "greater_than_or_equal", "less_than_or_equal"},
	kRef:      {"equals", "not_equals", "in", "not_in", "is_empty", "is_not_empty"},
	kTags:     {"contains", "not_contains", "in", "not_in", "is_empty", "is_not_empty"},
	kBool:     {"equals", "not_equals"},
	kNumber:   {"equals", "not_equals", "greater_than", "less_than", "greater_than_or_equal", "less_than_or_equal"},
}

// replyTriggers are the triggers whose events are about a reply.
var replyTriggers = []string{"reply.created", "reply.agent_reply"}

// cond is a validated condition rule, ready to test a ticket.
type cond struct {
	field string
	kind  fieldKind
	op    string
	str   string   // the value of a text, enum or priority comparison; lower case for contains
	strs  []string // the values of in and not_in
	id    int64
	ids   []int64
	num   float64
	flag  bool
	re    *regexp.Regexp
}

// condSet is validated Conditions.
type condSet struct {
	any   bool
	rules []cond
}

// act is a validated Action.
type act struct {
	typ        string
	str        string // status, priority, note body, webhook URL, notification message
	id         int64  // agent, tag, department or macro
	minutes    int    // delay, snooze_ticket
	recipients []int64
	assignee   bool   // send_notification: the ticket's assignee too
	secret     string // send_webhook: the signing secret, sealed
}

// parser validates conditions and actions: their shape first, then, when refs is set, in one
// pass at the end, that what they name exists.
type parser struct {
	v    *apperr.Validation
	refs map[ref]map[any][]string // what must exist → the fields naming it
}

func newParser(v *apperr.Validation, checkRefs bool) *parser {
	p := &parser{v: v}
	if checkRefs {
		p.refs = map[ref]map[any][]string{}
	}
	return p
}

func (p *parser) need(r ref, key any, path string) {
	if p.refs == nil || r == refNone {
		return
	}
	if p.refs[r] == nil {
		p.refs[r] = map[any][]string{}
	}
	p.refs[r][key] = append(p.refs[r][key], path)
}

// trigger checks the trigger.
func (p *parser) trigger(t string) {
	if !slices.Contains(Triggers, t) {
		p.unknown("trigger", "trigger; workflows run on events, never on a schedule,", t, Triggers)
	}
}

// conditions validates c for a workflow on trigger.
func (p *parser) conditions(c Conditions, trigger string) condSet {
	var set condSet
	switch c.Match {
	case "", "all":
	case "any":
		set.any = true
	default:
		p.unknown("conditions.match", "match", c.Match, []string{"all", "any"})
	}
	if len(c.Rules) > maxRules {
		p.v.Addf("conditions.rules", "A workflow may have at most %d condition rules.", maxRules)
		return set
	}
	for i, r := range c.Rules {
		path := fmt.Sprintf("conditions.rules.%d", i)
		spec, ok := fields[r.Field]
		if !ok {
			p.unknown(path+".field", "condition field", r.Field, Fields)
			continue
		}
		if r.Field == "reply_body" && trigger != "" && !slices.Contains(replyTriggers, trigger) {
			p.v.Addf(path+".field", "The reply_body field is only known on the triggers %s.", strings.Join(replyTriggers, " and "))
			continue
		}
		if !slices.Contains(Operators, r.Operator) {
			p.unknown(path+".operator", "operator", r.Operator, Operators)
			continue
		}
		if !slices.Contains(operatorsFor[spec.kind], r.Operator) {
			p.v.Addf(path+".operator", "The operator %s does not apply to %s; use one of: %s.", r.Operator, r.Field, strings.Join(operatorsFor[spec.kind], ", "))
			continue
		}
		c := cond{field: r.Field, kind: spec.kind, op: r.Operator}
		p.condValue(path+".value", spec, r.Value, &c)
		set.rules = append(set.rules, c)
	}
	return set
}

// condValue checks a condition's value against its field and operator and stores it in c.
func (p *parser) condValue(path string, spec fieldSpec, raw json.RawMessage, c *cond) {
	absent := len(raw) == 0 || string(raw) == "null"
	switch c.op {
	case "is_empty", "is_not_empty":
		if !absent {
			p.v.Addf(path, "The %s operator takes no value.", c.op)
		}
		return
	case "in", "not_in":
		var list []json.RawMessage
		switch {
		case absent || json.Unmarshal(raw, &list) != nil:
			p.v.Addf(path, "The %s field must be a list.", path)
			return
		case len(list) == 0:
			p.v.Addf(path, "The %s field must list at least one value.", path)
			return
		case len(list) > maxList:
			p.v.Addf(path, "The %s field may list at most %d values.", path, maxList)
			return
		}
		for i, item := range list {
			var one cond
			p.scalar(fmt.Sprintf("%s.%d", path, i), spec, c.op, item, &one)
			if spec.kind == kRef || spec.kind == kTags {
				c.ids = append(c.ids, one.id)
			} else {
				c.strs = append(c.strs, one.str)
			}
		}
		return
	}
	if absent {
		p.v.Addf(path, "The %s field is required.", path)
		return
	}
	p.scalar(path, spec, c.op, raw, c)
}

// scalar checks one value of a comparison.
func (p *parser) scalar(path string, spec fieldSpec, op string, raw json.RawMessage, c *cond) {
	switch spec.kind {
	case kText, kEnum, kPriority:
		s, ok := p.str(path, raw)
		if !ok {
			return
		}
		switch {
		case op == "matches":
			c.re = p.pattern(path, s)
		case spec.kind == kText:
			p.text(path, s, maxText, false)
		case spec.kind == kPriority:
			p.oneOf(path, s, ticket.Priorities)
		case spec.ref == refStatus:
			if s == "" || utf8.RuneCountInString(s) > 64 {
				p.v.Addf(path, "The status %q does not exist.", s)
			} else {
				p.need(refStatus, s, path)
			}
		default:
			p.oneOf(path, s, spec.oneOf)
		}
		c.str = s
		if op == "contains" || op == "not_contains" {
			c.str = strings.ToLower(s)
		}
	case kRef, kTags:
		if json.Unmarshal(raw, &c.id) != nil || c.id < 1 {
			p.v.Addf(path, "The %s field must be a positive id.", path)
			return
		}
		p.need(spec.ref, c.id, path)
	case kBool:
		if json.Unmarshal(raw, &c.flag) != nil {
			p.v.Addf(path, "The %s field must be of type boolean.", path)
		}
	case kNumber:
		if json.Unmarshal(raw, &c.num) != nil {
			p.v.Addf(path, "The %s field must be of type number.", path)
			return
		}
		if c.num < 0 || c.num > maxHours || math.IsNaN(c.num) {
			p.v.Addf(path, "The %s field must be a number of hours from 0 to %d.", path, maxHours)
		}
	}
}

// pattern compiles a matches pattern, refusing one too long or too large to run on every
// event.
func (p *parser) pattern(path, s string) *regexp.Regexp {
	switch {
	case s == "":
		p.v.Addf(path, "The %s field is required.", path)
		return nil
	case len(s) > maxPattern:
		p.v.Addf(path, "The pattern may not be longer than %d bytes.", maxPattern)
		return nil
	}
	parsed, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		p.v.Addf(path, "The pattern is not a valid regular expression: %s.", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return nil
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil || len(prog.Inst) > maxPatternInst {
		p.v.Addf(path, "The pattern is too complex; simplify its repetitions.")
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.v.Addf(path, "The pattern is not a valid regular expression.")
		return nil
	}
	return re
}

// actions validates a workflow's actions.
func (p *parser) actions(list []Action) []act {
	switch {
	case len(list) == 0:
		p.v.Add("actions", "The actions field must list at least one action.")
		return nil
	case len(list) > maxActions:
		p.v.Addf("actions", "A workflow may have at most %d actions.", maxActions)
		return nil
	}
	out := make([]act, 0, len(list))
	for i, a := range list {
		path := fmt.Sprintf("actions.%d", i)
		if !slices.Contains(ActionTypes, a.Type) {
			p.unknown(path+".type", "action type", a.Type, ActionTypes)
			continue
		}
		out = append(out, p.action(path+".value", a))
	}
	if n := len(list); n > 0 && list[n-1].Type == "delay" {
		p.v.Addf(fmt.Sprintf("actions.%d.type", n-1), "A delay must be followed by the actions it delays.")
	}
	return out
}

func (p *parser) action(path string, a Action) act {
	x := act{typ: a.Type}
	absent := len(a.Value) == 0 || string(a.Value) == "null"
	switch a.Type {
	case "close_ticket":
		if !absent {
			p.v.Addf(path, "The close_ticket action takes no value.")
		}
		return x
	case "send_notification":
		var v struct {
			Recipients []json.RawMessage `json:"recipients"`
			Message    string            `json:"message"`
		}
		if !p.object(path, a.Value, &v) {
			return x
		}
		x.recipients, x.assignee = p.recipients(path+".recipients", v.Recipients)
		if v.Message != "" {
			p.text(path+".message", v.Message, maxMessage, true)
		}
		x.str = v.Message
		return x
	case "send_webhook":
		// Saved, the action holds its secret sealed (see webhookActions); given, in clear.
		var v struct {
			URL          string  `json:"url"`
			Secret       *string `json:"secret"`
			SealedSecret string  `json:"sealed_secret"`
		}
		if p.object(path, a.Value, &v) {
			p.url(path+".url", v.URL)
			if p.refs != nil && v.SealedSecret != "" {
				p.v.Addf(path+".sealed_secret", "The %s.sealed_secret field is not accepted here.", path)
			}
		}
		x.str, x.secret = v.URL, v.SealedSecret
		return x
	case "delay", "snooze_ticket":
		var v struct {
			Minutes *int `json:"minutes"`
		}
		if !p.object(path, a.Value, &v) {
			return x
		}
		limit := maxDelay
		if a.Type == "snooze_ticket" {
			limit = maxSnooze
		}
		if v.Minutes == nil || *v.Minutes < 1 || *v.Minutes > limit {
			p.v.Addf(path+".minutes", "The %s.minutes field must be a whole number of minutes from 1 to %d.", path, limit)
			return x
		}
		x.minutes = *v.Minutes
		return x
	}
	if absent {
		p.v.Addf(path, "The %s field is required.", path)
		return x
	}
	switch a.Type {
	case "change_status":
		if s, ok := p.str(path, a.Value); ok {
			x.str = s
			if s == "" || utf8.RuneCountInString(s) > 64 {
				p.v.Addf(path, "The status %q does not exist.", s)
			} else {
				p.need(refStatus, s, path)
			}
		}
	case "change_priority":
		if s, ok := p.str(path, a.Value); ok {
			x.str = s
			p.oneOf(path, s, ticket.Priorities)
		}
	case "add_internal_note":
		if s, ok := p.str(path, a.Value); ok {
			x.str = s
			p.text(path, s, maxBody, true)
		}
	default: // assign_agent, add_tag, remove_tag, move_department, apply_macro: an id
		if json.Unmarshal(a.Value, &x.id) != nil || x.id < 1 {
			p.v.Addf(path, "The %s field must be a positive id.", path)
			return x
		}
		p.need(map[string]ref{
			"assign_agent": refAgent, "add_tag": refTag, "remove_tag": refTag,
			"move_department": refDepartment, "apply_macro": refMacro,
		}[a.Type], x.id, path)
	}
	return x
}

// object decodes an action's object value, refusing fields it does not have.
func (p *parser) object(path string, raw json.RawMessage, dst any) bool {
	if len(raw) == 0 || string(raw) == "null" {
		p.v.Addf(path, "The %s field is required.", path)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &typeErr) && typeErr.Field != "":
		p.v.Addf(path+"."+typeErr.Field, "The %s.%s field has the wrong type.", path, typeErr.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p.v.Addf(path+"."+field, "The %s.%s field is not accepted here.", path, field)
	default:
		p.v.Addf(path, "The %s field must be an object.", path)
	}
	return false
}

// recipients reads a notification's recipients: agent ids, and "assignee" for whoever holds
// the ticket when the workflow acts.
func (p *parser) recipients(path string, list []json.RawMessage) ([]int64, bool) {
	switch {
	case len(list) == 0:
		p.v.Addf(path, `The %s field must list at least one agent id or "assignee".`, path)
		return nil, false
	case len(list) > maxList:
		p.v.Addf(path, "The %s field may list at most %d recipients.", path, maxList)
		return nil, false
	}
	var ids []int64
	assignee := false
	for i, item := range list {
		ip := fmt.Sprintf("%s.%d", path, i)
		if bytes.Equal(item, []byte(`"assignee"`)) {
			assignee = true
			continue
		}
		var id int64
		if json.Unmarshal(item, &id) != nil || id < 1 {
			p.v.Addf(ip, `The %s field must be an agent id or "assignee".`, ip)
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
			p.need(refAgent, id, ip)
		}
	}
	return ids, assignee
}

func (p *parser) url(path, s string) {
	u, err := url.Parse(s)
	switch {
	case s == "":
		p.v.Addf(path, "The %s field is required.", path)
	case len(s) > maxURL:
		p.v.Addf(path, "The %s field may not be longer than %d characters.", path, maxURL)
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
		p.v.Addf(path, "The %s field must be an http or https URL without credentials.", path)
	}
}

// str reads a JSON string without NUL bytes.
func (p *parser) str(path string, raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		p.v.Addf(path, "The %s field must be of type string.", path)
		return "", false
	}
	if strings.ContainsRune(s, 0) {
		p.v.Addf(path, "The %s field contains invalid characters.", path)
		return "", false
	}
	return s, true
}

func (p *parser) text(path, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.v.Addf(path, "The %s field is required.", path)
	case utf8.RuneCountInString(s) > max:
		p.v.Addf(path, "The %s field may not be greater than %d characters.", path, max)
	}
}

func (p *parser) oneOf(path, s string, allowed []string) {
	if !slices.Contains(allowed, s) {
		p.v.Addf(path, "The %s must be one of: %s.", path, strings.Join(allowed, ", "))
	}
}

// unknown reports a name outside the vocabulary. A name that cannot be shown (too long, not
// text) is left out of the message.
func (p *parser) unknown(path, what, got string, allowed []string) {
	switch {
	case got == "":
		p.v.Addf(path, "The %s field is required; use one of: %s.", path, strings.Join(allowed, ", "))
	case len(got) > 64 || !utf8.ValidString(got) || strings.ContainsRune(got, 0):
		p.v.Addf(path, "Unknown %s; use one of: %s.", what, strings.Join(allowed, ", "))
	default:
		p.v.Addf(path, "Unknown %s %q; use one of: %s.", what, got, strings.Join(allowed, ", "))
	}
}

// verify checks that everything the workflow names exists: statuses, active agents, users,
// departments, tags, and shared macros (a personal macro is its owner's alone).
func (p *parser) verify(ctx context.Context, idb bun.IDB) error {
	for r, keys := range p.refs {
		for key, paths := range keys {
			q := idb.NewSelect()
			var what string
			switch r {
			case refStatus:
				q, what = q.Table("statuses").Where("slug = ?", key), fmt.Sprintf("The status %q does not exist.", key)
			case refAgent:
				q, what = q.Table("users").Where("id = ? AND is_active = TRUE AND role <> ?", key, auth.RoleCustomer), fmt.Sprintf("User %d is not an active agent.", key)
			case refUser:
				q, what = q.Table("users").Where("id = ?", key), fmt.Sprintf("User %d does not exist.", key)
			case refDepartment:
				q, what = q.Table("departments").Where("id = ?", key), fmt.Sprintf("Department %d does not exist.", key)
			case refTag:
				q, what = q.Table("tags").Where("id = ?", key), fmt.Sprintf("Tag %d does not exist.", key)
			case refMacro:
				q, what = q.Table("macros").Where("id = ? AND is_shared = TRUE", key), fmt.Sprintf("Macro %d is not a shared macro.", key)
			}
			n, err := q.Count(ctx)
			if err != nil {
				return fmt.Errorf("workflow: check references: %w", err)
			}
			if n == 0 {
				for _, path := range paths {
					p.v.Add(path, what)
				}
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
