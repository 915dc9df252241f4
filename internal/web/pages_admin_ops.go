package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/workflow"
)

// Props of the admin pages of SLA policies, workflows, webhooks and API tokens (pages.json).
// Like the other Form pages, each Form serves create (its object null) and edit.

func (s *Server) adminSLAPoliciesIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.SLAPolicies.List(r.Context(), a)
	return map[string]any{"policies": list}, err
}

// adminSLAPolicyFormPage offers the priorities and, beyond pages.json, the business schedules
// a policy may count in (ids and names only, read as the desk: sla.manage is enough to pick one).
func (s *Server) adminSLAPolicyFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var policy any
	if r.PathValue("sla_policy") != "" {
		id, err := pathID(r, "sla_policy", "SLA policy")
		if err != nil {
			return nil, err
		}
		if policy, err = s.SLAPolicies.Get(r.Context(), a, id); err != nil {
			return nil, err
		}
	}
	list, err := s.BusinessHours.List(r.Context(), auth.System())
	if err != nil {
		return nil, err
	}
	schedules := make([]option, 0, len(list))
	for _, b := range list {
		schedules = append(schedules, option{ID: b.ID, Name: b.Name})
	}
	return map[string]any{"policy": policy, "priorities": ticket.Priorities, "schedules": schedules}, nil
}

func (s *Server) adminWorkflowsIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Workflows.List(r.Context(), a)
	return map[string]any{"workflows": list}, err
}

// adminWorkflowFormPage offers the workflow vocabulary and, beyond pages.json, what actions may
// name: agents, departments, tags, statuses and macros (ids and names).
func (s *Server) adminWorkflowFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	ctx := r.Context()
	var wf any
	if r.PathValue("workflow") != "" {
		id, err := pathID(r, "workflow", "Workflow")
		if err != nil {
			return nil, err
		}
		if wf, err = s.Workflows.Get(ctx, a, id); err != nil {
			return nil, err
		}
	}
	agents, err := s.agentOptions(ctx)
	if err != nil {
		return nil, err
	}
	departments, err := s.departmentOptions(ctx, false)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagOptions(ctx)
	if err != nil {
		return nil, err
	}
	statuses, err := s.Tickets.ListStatuses(ctx, auth.System())
	if err != nil {
		return nil, err
	}
	// Macros the admin may see; someone who may not view macros picks by id.
	macros := []option{}
	if list, err := s.Rules.ListMacros(ctx, a); err == nil {
		for _, m := range list {
			macros = append(macros, option{ID: m.ID, Name: m.Name})
		}
	} else if !apperr.Is(err, apperr.KindForbidden) {
		return nil, err
	}
	return map[string]any{
		"workflow":       wf,
		"trigger_events": workflow.Triggers,
		"operators":      workflow.Operators,
		"action_types":   workflow.ActionTypes,
		"agents":         agents,
		"departments":    departments,
		"tags":           tags,
		"statuses":       statuses,
		"macros":         macros,
	}, nil
}

// adminWorkflowLogsPage is the run log of every workflow, of the one in the path, or of the
// one named by ?workflow=, newest first, with the workflows to name them by.
func (s *Server) adminWorkflowLogsPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var id int64
	if r.PathValue("workflow") != "" {
		n, err := pathID(r, "workflow", "Workflow")
		if err != nil {
			return nil, err
		}
		id = n
	} else if v := r.URL.Query().Get("workflow"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, invalid("workflow", "The workflow filter must be a workflow id.")
		}
		id = n
	}
	page, perPage, err := pageParams(r.URL.Query())
	if err != nil {
		return nil, err
	}
	runs, total, err := s.Workflows.Logs(r.Context(), a, workflow.LogFilter{WorkflowID: id, Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	list, err := s.Workflows.List(r.Context(), a)
	if err != nil {
		return nil, err
	}
	workflows := make([]option, 0, len(list))
	for _, w := range list {
		workflows = append(workflows, option{ID: w.ID, Name: w.Name})
	}
	return map[string]any{"logs": paginator(r, runs, total, page, perPage), "workflows": workflows}, nil
}

// adminWebhooksIndexPage lists the webhooks; their secrets are never in a list.
func (s *Server) adminWebhooksIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Webhooks.List(r.Context(), a)
	return map[string]any{"webhooks": list}, err
}

func (s *Server) adminWebhookFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var hook any
	if r.PathValue("webhook") != "" {
		id, err := pathID(r, "webhook", "Webhook")
		if err != nil {
			return nil, err
		}
		if hook, err = s.Webhooks.Get(r.Context(), a, id); err != nil {
			return nil, err
		}
	}
	return map[string]any{"webhook": hook, "availableEvents": event.WebhookNames()}, nil
}

// adminWebhookDeliveriesPage pages through one webhook's delivery log, newest first,
// optionally only the delivered or failed attempts (?status=).
func (s *Server) adminWebhookDeliveriesPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	id, err := pathID(r, "webhook", "Webhook")
	if err != nil {
		return nil, err
	}
	hook, err := s.Webhooks.Get(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return nil, err
	}
	log, err := s.Webhooks.Deliveries(r.Context(), a, id, q.Get("status"), page, perPage)
	if err != nil {
		return nil, err
	}
	return map[string]any{"webhook": hook, "deliveries": paginator(r, log.Items, log.Total, page, perPage)}, nil
}

// maxTokensShown caps the token list of the page, which has no page buttons: newest first.
const maxTokensShown = 500

// adminAPITokensIndexPage lists the tokens the actor may see (their own; everyone's with
// api_token.view) and the users a new token may act as: everyone on the staff with
// api_token.manage, else the actor alone. The REST API is always served: api_enabled is true.
func (s *Server) adminAPITokensIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	ctx := r.Context()
	tokens := []auth.APIToken{}
	for page := 1; len(tokens) < maxTokensShown; page++ {
		p, err := s.Auth.ListTokens(ctx, a, page, 100)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, p.Items...)
		if len(p.Items) < 100 || len(tokens) >= p.Total {
			break
		}
	}
	users := []option{{ID: a.UserID, Name: a.Name}}
	if a.Can("api_token.manage") {
		var err error
		if users, err = s.agentOptions(ctx); err != nil {
			return nil, err
		}
	}
	return map[string]any{"tokens": tokens, "users": users, "api_enabled": true}, nil
}

// agentOptions lists the active staff (ids and names) to pick from, read as the desk: the
// pages that offer them are behind their own permissions.
func (s *Server) agentOptions(ctx context.Context) ([]option, error) {
	out := []option{}
	for page := 1; ; page++ {
		p, err := s.Auth.ListAgents(ctx, auth.System(), page, 100)
		if err != nil {
			return nil, err
		}
		for _, u := range p.Items {
			out = append(out, option{ID: u.ID, Name: u.Name})
		}
		if len(p.Items) < 100 || len(out) >= p.Total {
			return out, nil
		}
	}
}
