package web

import "github.com/escalated-dev/escalated-go/internal/rules"

// automations serves /admin/automations.
func (s *Server) automations() ruleAdmin {
	return ruleAdmin{s: s, kind: rules.Automation, param: "automation", what: "Automation"}
}
