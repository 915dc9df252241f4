// Package auth holds who is acting: users, roles, permissions, passwords and sessions.
package auth

import "strings"

// Permissions is the whole permission vocabulary, from DOMAIN.md.
var Permissions = expand(
	"ticket.{view,create,edit,delete,assign,merge,close,export}",
	"reply.{create,create_internal,edit,delete}",
	"kb.{view,create,edit,delete,publish}",
	"department.{view,create,edit,delete}",
	"report.{view,export}",
	"sla.{view,manage}",
	"automation.{view,manage}",
	"escalation.{view,manage}",
	"macro.{view,create,manage}",
	"tag.{view,manage}", "custom_field.{view,manage}", "role.{view,manage}", "user.{view,manage}",
	"settings.{view,manage}", "webhook.{view,manage}", "api_token.{view,manage}", "plugin.{view,manage}",
	"audit.view",
	"custom_object.{view,manage,data}",
)

// System role slugs. Customer is not a role: customers are requesters.
const (
	RoleAdmin      = "admin"
	RoleAgent      = "agent"
	RoleLightAgent = "light_agent"
	RoleCustomer   = "customer"
)

// defaultGrants are the seeded permissions of the system roles; admin holds every permission.
var defaultGrants = map[string][]string{
	RoleAgent: expand(
		"ticket.{view,create,edit,assign,merge,close,export}",
		"reply.{create,create_internal,edit}",
		"kb.{view,create,edit}", "department.view", "report.view", "sla.view", "automation.view",
		"escalation.view", "macro.{view,create}", "tag.view", "custom_field.view", "user.view",
		"custom_object.{view,data}",
	),
	RoleLightAgent: expand("ticket.view", "reply.create_internal", "kb.view", "department.view", "tag.view", "macro.view"),
}

// IsPermission reports whether p is in the vocabulary.
func IsPermission(p string) bool {
	for _, q := range Permissions {
		if q == p {
			return true
		}
	}
	return false
}

// expand turns "ticket.{view,edit}" into "ticket.view", "ticket.edit".
func expand(patterns ...string) []string {
	var out []string
	for _, p := range patterns {
		open := strings.IndexByte(p, '{')
		if open < 0 {
			out = append(out, p)
			continue
		}
		for _, alt := range strings.Split(strings.TrimSuffix(p[open+1:], "}"), ",") {
			out = append(out, p[:open]+alt)
		}
	}
	return out
}
