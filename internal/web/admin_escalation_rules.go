package web

import "github.com/escalated-dev/escalated-go/internal/rules"

// escalationRules serves /admin/escalation-rules.
func (s *Server) escalationRules() ruleAdmin {
	return ruleAdmin{s: s, kind: rules.Escalation, param: "escalation_rule", what: "Escalation rule"}
}
