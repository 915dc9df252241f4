package web

import (
	"encoding/json"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/rules"
)

// ruleBody is the request body of an escalation rule or automation. The lists stay raw until
// each element is decoded on its own, so that an error names its place
// ("conditions.2.field"). Neither kind takes a trigger: both run on the schedule.
type ruleBody struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	IsActive    *bool              `json:"is_active"`
	Position    *int               `json:"position"`
	Conditions  *[]json.RawMessage `json:"conditions"`
	Actions     *[]json.RawMessage `json:"actions"`
}

func decodeRule(r *http.Request) (rules.RuleInput, error) {
	var body ruleBody
	if err := decode(r, &body); err != nil {
		return rules.RuleInput{}, err
	}
	in := rules.RuleInput{Name: body.Name, Description: body.Description, IsActive: body.IsActive, Position: body.Position}
	var err error
	if in.Conditions, err = decodeItems[rules.Condition](body.Conditions, "conditions"); err != nil {
		return in, err
	}
	in.Actions, err = decodeItems[rules.Action](body.Actions, "actions")
	return in, err
}

// ruleAdmin serves the admin endpoints of one kind of scheduled rule; param names the rule
// in the path and what is its name in a not-found message.
type ruleAdmin struct {
	s     *Server
	kind  rules.Kind
	param string
	what  string
}

func (h ruleAdmin) index(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := h.s.Rules.ListRules(r.Context(), a, h.kind)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (h ruleAdmin) store(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeRule(r)
	if err != nil {
		return err
	}
	rule, err := h.s.Rules.CreateRule(r.Context(), a, h.kind, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, rule)
}

func (h ruleAdmin) show(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, h.param, h.what)
	if err != nil {
		return err
	}
	rule, err := h.s.Rules.GetRule(r.Context(), a, h.kind, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, rule)
}

// update serves PUT and PATCH alike: fields left out of the body are kept, and a list that
// is sent replaces the whole list.
func (h ruleAdmin) update(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, h.param, h.what)
	if err != nil {
		return err
	}
	in, err := decodeRule(r)
	if err != nil {
		return err
	}
	rule, err := h.s.Rules.UpdateRule(r.Context(), a, h.kind, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, rule)
}

func (h ruleAdmin) destroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, h.param, h.what)
	if err != nil {
		return err
	}
	if err := h.s.Rules.DeleteRule(r.Context(), a, h.kind, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// run evaluates the rules now rather than at the next scheduled run.
func (h ruleAdmin) run(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if err := noFields(r); err != nil {
		return err
	}
	res, err := h.s.Rules.RunNow(r.Context(), a, h.kind)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, res)
}
