package web

import (
	"net/http"
	"slices"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Props of the admin pages (pages.json). A Form page serves both create (its object null)
// and edit (the object whose id is in the path).

func (s *Server) adminDepartmentsIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Departments.List(r.Context(), a)
	return map[string]any{"departments": list}, err
}

func (s *Server) adminDepartmentFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var department any
	if r.PathValue("department") != "" {
		id, err := pathID(r, "department", "Department")
		if err != nil {
			return nil, err
		}
		if department, err = s.Departments.Get(r.Context(), a, id); err != nil {
			return nil, err
		}
	}
	return map[string]any{"department": department}, nil
}

func (s *Server) adminTagsIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Tags.List(r.Context(), a)
	return map[string]any{"tags": list}, err
}

func (s *Server) adminRolesIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Auth.ListRoles(r.Context(), a)
	return map[string]any{"roles": list}, err
}

// adminRoleFormPage offers the whole permission vocabulary; the role's own are role.permissions.
func (s *Server) adminRoleFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var role any
	if r.PathValue("role") != "" {
		id, err := pathID(r, "role", "Role")
		if err != nil {
			return nil, err
		}
		if role, err = s.Auth.GetRole(r.Context(), a, id); err != nil {
			return nil, err
		}
	}
	return map[string]any{"role": role, "permissions": auth.Permissions}, nil
}

// userRow is a user as the admin list shows them, with the two flags the frontend reads.
type userRow struct {
	auth.User
	IsAdmin bool `json:"is_admin"`
	IsAgent bool `json:"is_agent"`
}

func (s *Server) adminUsersIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return nil, err
	}
	users, err := s.Auth.ListUsers(r.Context(), a, auth.UserFilter{Search: q.Get("search"), Role: q.Get("role"), Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	rows := make([]userRow, 0, len(users.Items))
	for _, u := range users.Items {
		rows = append(rows, userRow{User: u, IsAdmin: u.Role == auth.RoleAdmin, IsAgent: u.Role != auth.RoleCustomer})
	}
	return map[string]any{
		"users":         paginator(r, rows, users.Total, page, perPage),
		"filters":       filterValues(r, []string{"search", "role"}),
		"currentUserId": a.UserID,
	}, nil
}

func (s *Server) adminStatusesIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Tickets.ListStatuses(r.Context(), a)
	return map[string]any{"statuses": list, "categories": ticket.Categories}, err
}

// adminTransitionsPage is the transition table with the statuses it is made of, in their
// order, for the grid that edits it.
func (s *Server) adminTransitionsPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	statuses, err := s.Tickets.ListStatuses(r.Context(), a)
	if err != nil {
		return nil, err
	}
	table, err := s.Tickets.Transitions(r.Context(), a)
	return map[string]any{"statuses": statuses, "transitions": table}, err
}

// adminStatusFormPage names the status by its slug, the key statuses have.
func (s *Server) adminStatusFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var status any
	if slug := r.PathValue("status"); slug != "" {
		list, err := s.Tickets.ListStatuses(r.Context(), a)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(list, func(st ticket.Status) bool { return st.Slug == slug })
		if i < 0 {
			return nil, apperr.NotFound("Status")
		}
		status = list[i]
	}
	return map[string]any{"status": status, "categories": ticket.Categories}, nil
}

func (s *Server) adminBusinessHoursIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.BusinessHours.List(r.Context(), a)
	return map[string]any{"schedules": list}, err
}

func (s *Server) adminBusinessHourFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	var schedule any
	if r.PathValue("business_hour") != "" {
		id, err := pathID(r, "business_hour", "Business schedule")
		if err != nil {
			return nil, err
		}
		if schedule, err = s.BusinessHours.Get(r.Context(), a, id); err != nil {
			return nil, err
		}
	}
	return map[string]any{"schedule": schedule, "timezones": timezones}, nil
}

func (s *Server) adminEscalationRulesIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Rules.ListRules(r.Context(), a, rules.Escalation)
	return map[string]any{"rules": list}, err
}

func (s *Server) adminEscalationRuleFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	rule, err := s.ruleForForm(r, a, s.escalationRules())
	return map[string]any{"rule": rule}, err
}

func (s *Server) adminAutomationsIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Rules.ListRules(r.Context(), a, rules.Automation)
	return map[string]any{"automations": list}, err
}

func (s *Server) adminAutomationFormPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	rule, err := s.ruleForForm(r, a, s.automations())
	return map[string]any{"automation": rule}, err
}

// ruleForForm is the rule a Form page edits, or nil on the create page.
func (s *Server) ruleForForm(r *http.Request, a *auth.Actor, h ruleAdmin) (any, error) {
	if r.PathValue(h.param) == "" {
		return nil, nil
	}
	id, err := pathID(r, h.param, h.what)
	if err != nil {
		return nil, err
	}
	return s.Rules.GetRule(r.Context(), a, h.kind, id)
}

func (s *Server) adminMacrosIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Rules.ListMacros(r.Context(), a)
	return map[string]any{"macros": list}, err
}

// adminSettingsPage shows every setting; supported_settings names the keys the desk has, and
// update_url is where the form posts them.
func (s *Server) adminSettingsPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	values, err := s.Settings.All(r.Context())
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	departments, err := s.departmentOptions(r.Context(), false)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"settings":           values,
		"supported_settings": keys,
		"update_url":         s.Prefix + "/admin/settings",
		"departments":        departments,
	}, nil
}

func (s *Server) twoFactorPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	st, err := s.TwoFactor.Status(r.Context(), a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"enabled": st.Enabled, "pending": st.Pending, "recovery_codes_left": st.RecoveryCodesLeft}, nil
}

// adminAuditLogPage lists the log with the frontend's filters. The filter choices (actions,
// resource types, users) are those of the entries shown and the filter in force: the log has
// no index that would list every distinct value cheaply.
func (s *Server) adminAuditLogPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	f, err := auditFilter(r)
	if err != nil {
		return nil, err
	}
	logs, err := s.Audit.List(r.Context(), a, f)
	if err != nil {
		return nil, err
	}
	actions, types, users := []string{}, []string{}, []audit.UserRef{}
	add := func(list []string, v string) []string {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
		return list
	}
	actions, types = add(actions, f.Action), add(types, f.ResourceType)
	for _, row := range logs.Items {
		actions, types = add(actions, row.Action), add(types, row.ResourceType)
		if row.User != nil && !slices.ContainsFunc(users, func(u audit.UserRef) bool { return u.ID == row.User.ID }) {
			users = append(users, *row.User)
		}
	}
	slices.Sort(actions)
	slices.Sort(types)
	return map[string]any{
		"logs":          paginator(r, logs.Items, logs.Total, f.Page, f.PerPage),
		"filters":       filterValues(r, []string{"user_id", "action", "auditable_type", "date_from", "date_to"}),
		"actions":       actions,
		"resourceTypes": types,
		"users":         users,
	}, nil
}
