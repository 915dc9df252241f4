package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/workflow"
)

// workflowBody is the request body of a workflow. Conditions and actions stay raw until each
// part is decoded on its own, so that an error names its place ("conditions.rules.2.field").
type workflowBody struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Trigger     *string            `json:"trigger"`
	IsActive    *bool              `json:"is_active"`
	Position    *int               `json:"position"`
	Conditions  json.RawMessage    `json:"conditions"` // not a pointer: null is sent, not absent
	Actions     *[]json.RawMessage `json:"actions"`
}

func decodeWorkflow(r *http.Request) (workflow.Input, error) {
	var body workflowBody
	if err := decode(r, &body); err != nil {
		return workflow.Input{}, err
	}
	in := workflow.Input{Name: body.Name, Description: body.Description, Trigger: body.Trigger, IsActive: body.IsActive, Position: body.Position}
	if body.Conditions != nil {
		c, err := decodeConditions(body.Conditions)
		if err != nil {
			return in, err
		}
		in.Conditions = &c
	}
	var err error
	in.Actions, err = decodeItems[workflow.Action](body.Actions, "actions")
	return in, err
}

// decodeConditions reads {"match", "rules"}, each rule strictly on its own.
func decodeConditions(raw json.RawMessage) (workflow.Conditions, error) {
	var c workflow.Conditions
	var shape struct {
		Match *string            `json:"match"`
		Rules *[]json.RawMessage `json:"rules"`
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return c, invalid("conditions", "The conditions field must be an object with match and rules.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field == "" {
			return c, invalid("conditions", "The conditions field must be an object with match and rules.")
		}
		return c, itemError(err, "conditions")
	}
	if shape.Match != nil {
		c.Match = *shape.Match
	}
	rules, err := decodeItems[workflow.Rule](shape.Rules, "conditions.rules")
	if err != nil {
		return c, err
	}
	if rules != nil {
		c.Rules = *rules
	}
	return c, nil
}

func (s *Server) adminWorkflowIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Workflows.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminWorkflowStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeWorkflow(r)
	if err != nil {
		return err
	}
	wf, err := s.Workflows.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, wf)
}

func (s *Server) adminWorkflowShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "workflow", "Workflow")
	if err != nil {
		return err
	}
	wf, err := s.Workflows.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, wf)
}

// adminWorkflowUpdate serves PUT and PATCH alike: fields left out of the body are kept, and
// conditions or actions that are sent replace the old ones whole.
func (s *Server) adminWorkflowUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "workflow", "Workflow")
	if err != nil {
		return err
	}
	in, err := decodeWorkflow(r)
	if err != nil {
		return err
	}
	wf, err := s.Workflows.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, wf)
}

func (s *Server) adminWorkflowDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "workflow", "Workflow")
	if err != nil {
		return err
	}
	if err := s.Workflows.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminWorkflowLogs is the run log of one workflow.
func (s *Server) adminWorkflowLogs(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "workflow", "Workflow")
	if err != nil {
		return err
	}
	return s.workflowLogs(w, r, a, id)
}

// adminWorkflowAllLogs is the run log of every workflow, or of the one named by ?workflow=,
// where the shared frontend's Logs page looks for it.
func (s *Server) adminWorkflowAllLogs(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var id int64
	if v := r.URL.Query().Get("workflow"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return invalid("workflow", "The workflow filter must be a workflow id.")
		}
		id = n
	}
	return s.workflowLogs(w, r, a, id)
}

func (s *Server) workflowLogs(w http.ResponseWriter, r *http.Request, a *auth.Actor, id int64) error {
	page, perPage, err := pageParams(r.URL.Query())
	if err != nil {
		return err
	}
	runs, total, err := s.Workflows.Logs(r.Context(), a, workflow.LogFilter{WorkflowID: id, Page: page, PerPage: perPage})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, runs, total, page, perPage))
	return nil
}

// adminWorkflowToggle switches a workflow on or off: to {"active": bool} (or is_active) when
// the body says which, the shared frontend's form; else to the opposite of what it is.
func (s *Server) adminWorkflowToggle(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "workflow", "Workflow")
	if err != nil {
		return err
	}
	var body struct {
		Active   *bool `json:"active"`
		IsActive *bool `json:"is_active"`
	}
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	active := body.Active
	if active == nil {
		active = body.IsActive
	}
	if active == nil {
		wf, err := s.Workflows.Get(r.Context(), a, id)
		if err != nil {
			return err
		}
		flip := !wf.IsActive
		active = &flip
	}
	wf, err := s.Workflows.Update(r.Context(), a, id, workflow.Input{IsActive: active})
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, wf)
}
