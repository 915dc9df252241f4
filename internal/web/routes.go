package web

// routeTable is every URL the desk serves, with its guard in plain sight. Paths are below
// the route prefix. Names are the shared frontend's route names (routes.tsv) where it has one.
func (s *Server) routeTable() []Route {
	r := []Route{
		{"GET", "/healthz", "escalated.healthz", public, s.health},
		{"GET", "/me", "escalated.me", signedIn, s.me},

		// Customers: their own tickets.
		{"GET", "/tickets", "escalated.customer.tickets.index", signedIn, s.customerTicketIndex},
		{"POST", "/tickets", "escalated.customer.tickets.store", signedIn, s.customerTicketStore},
		{"GET", "/tickets/{ticket}", "escalated.customer.tickets.show", signedIn, s.customerTicketShow},
		{"POST", "/tickets/{ticket}/reply", "escalated.customer.tickets.reply", signedIn, s.customerTicketReply},
		{"POST", "/tickets/{ticket}/close", "escalated.customer.tickets.close", signedIn, s.customerTicketClose},
		{"POST", "/tickets/{ticket}/reopen", "escalated.customer.tickets.reopen", signedIn, s.customerTicketReopen},

		// Agents: the queue and work on tickets.
		{"GET", "/agent", "escalated.agent.dashboard", staff("ticket.view"), s.agentDashboard},
		{"GET", "/agent/tickets/dashboard", "escalated.agent.tickets.dashboard", staff("ticket.view"), s.agentDashboard},
		{"GET", "/agent/tickets", "escalated.agent.tickets.index", staff("ticket.view"), s.agentTicketIndex},
		{"POST", "/agent/tickets", "escalated.agent.tickets.store", staff("ticket.create"), s.agentTicketStore},
		{"POST", "/agent/tickets/bulk", "escalated.agent.tickets.bulk", staff("ticket.view"), s.agentTicketBulk},
		{"GET", "/agent/tickets/{ticket}", "escalated.agent.tickets.show", staff("ticket.view"), s.agentTicketShow},
		{"POST", "/agent/tickets/{ticket}/reply", "escalated.agent.tickets.reply", staff("reply.create"), s.agentTicketReply},
		{"POST", "/agent/tickets/{ticket}/note", "escalated.agent.tickets.note", staff("reply.create_internal"), s.agentTicketNote},
		{"POST", "/agent/tickets/{ticket}/assign", "escalated.agent.tickets.assign", staff("ticket.assign"), s.agentTicketAssign},
		{"POST", "/agent/tickets/{ticket}/status", "escalated.agent.tickets.status", staff("ticket.view"), s.agentTicketStatus},
		{"POST", "/agent/tickets/{ticket}/priority", "escalated.agent.tickets.priority", staff("ticket.edit"), s.agentTicketPriority},
		{"POST", "/agent/tickets/{ticket}/department", "escalated.agent.tickets.department", staff("ticket.edit"), s.agentTicketDepartment},
		{"POST", "/agent/tickets/{ticket}/tags", "escalated.agent.tickets.tags", staff("ticket.edit"), s.agentTicketTagsAdd},
		{"DELETE", "/agent/tickets/{ticket}/tags/{tag}", "escalated.agent.tickets.tags.destroy", staff("ticket.edit"), s.agentTicketTagRemove},
		// Each action of the macro is checked against its own permission by the service.
		{"POST", "/agent/tickets/{ticket}/macro", "escalated.agent.tickets.macro", staff("ticket.view"), s.agentTicketMacro},
		{"POST", "/agent/tickets/{ticket}/snooze", "escalated.agent.tickets.snooze", staff("ticket.edit"), s.ticketSnooze},
		{"POST", "/agent/tickets/{ticket}/unsnooze", "escalated.agent.tickets.unsnooze", staff("ticket.edit"), s.ticketUnsnooze},

		// Attachments, authorized through the ticket or reply they belong to.
		{"GET", "/attachments/{attachment}/download", "escalated.attachments.download", signedIn, s.attachmentDownload},

		// Admin.
		{"GET", "/admin/settings", "escalated.admin.settings", staff("settings.view"), s.adminSettingsShow},
		{"POST", "/admin/settings", "escalated.admin.settings.update", staff("settings.manage"), s.adminSettingsUpdate},
	}
	// The desk's own sign-in, with its second factor; a host's resolver replaces both.
	// A session that owes its second factor may finish, start again or give up, nothing more.
	if s.Resolver == nil {
		r = append(r,
			Route{"POST", "/login", "escalated.login", public.limit(limitLogin).alsoMidSignIn(), s.login},
			Route{"POST", "/logout", "escalated.logout", public.alsoMidSignIn(), s.logout},
			Route{"POST", "/two-factor/verify", "escalated.two-factor.verify", midSignIn.limit(limitTwoFactor), s.twoFactorVerify},
			// Under /admin in the frontend's route table, yet for every staff member's own account.
			Route{"GET", "/admin/settings/two-factor", "escalated.admin.two-factor", anyStaff, s.twoFactorShow},
			Route{"POST", "/admin/settings/two-factor/setup", "escalated.admin.two-factor.setup", anyStaff.limit(limitTwoFactor), s.twoFactorSetup},
			Route{"POST", "/admin/settings/two-factor/confirm", "escalated.admin.two-factor.confirm", anyStaff.limit(limitTwoFactor), s.twoFactorConfirm},
			Route{"POST", "/admin/settings/two-factor/disable", "escalated.admin.two-factor.disable", anyStaff.limit(limitTwoFactor), s.twoFactorDisable},
		)
	}
	r = append(r, s.adminRoutes()...)
	return r
}

func (s *Server) adminRoutes() []Route {
	esc, auto := s.escalationRules(), s.automations()
	return []Route{
		{"GET", "/admin/departments", "escalated.admin.departments.index", staff("department.view"), s.adminDepartmentIndex},
		{"POST", "/admin/departments", "escalated.admin.departments.store", staff("department.create"), s.adminDepartmentStore},
		{"GET", "/admin/departments/{department}", "escalated.admin.departments.show", staff("department.view"), s.adminDepartmentShow},
		{"PUT", "/admin/departments/{department}", "escalated.admin.departments.update", staff("department.edit"), s.adminDepartmentUpdate},
		{"PATCH", "/admin/departments/{department}", "escalated.admin.departments.update", staff("department.edit"), s.adminDepartmentUpdate},
		{"DELETE", "/admin/departments/{department}", "escalated.admin.departments.destroy", staff("department.delete"), s.adminDepartmentDestroy},

		{"GET", "/admin/tags", "escalated.admin.tags.index", staff("tag.view"), s.adminTagIndex},
		{"POST", "/admin/tags", "escalated.admin.tags.store", staff("tag.manage"), s.adminTagStore},
		{"PUT", "/admin/tags/{tag}", "escalated.admin.tags.update", staff("tag.manage"), s.adminTagUpdate},
		{"PATCH", "/admin/tags/{tag}", "escalated.admin.tags.update", staff("tag.manage"), s.adminTagUpdate},
		{"DELETE", "/admin/tags/{tag}", "escalated.admin.tags.destroy", staff("tag.manage"), s.adminTagDestroy},

		{"GET", "/admin/roles", "escalated.admin.roles.index", staff("role.view"), s.adminRoleIndex},
		{"POST", "/admin/roles", "escalated.admin.roles.store", staff("role.manage"), s.adminRoleStore},
		{"GET", "/admin/roles/{role}", "escalated.admin.roles.show", staff("role.view"), s.adminRoleShow},
		{"PUT", "/admin/roles/{role}", "escalated.admin.roles.update", staff("role.manage"), s.adminRoleUpdate},
		{"PATCH", "/admin/roles/{role}", "escalated.admin.roles.update", staff("role.manage"), s.adminRoleUpdate},
		{"DELETE", "/admin/roles/{role}", "escalated.admin.roles.destroy", staff("role.manage"), s.adminRoleDestroy},

		{"GET", "/admin/users", "escalated.admin.users.index", staff("user.view"), s.adminUserIndex},
		{"POST", "/admin/users", "escalated.admin.users.store", staff("user.manage"), s.adminUserStore},
		{"GET", "/admin/users/{user}", "escalated.admin.users.show", staff("user.view"), s.adminUserShow},
		{"PUT", "/admin/users/{user}", "escalated.admin.users.update", staff("user.manage"), s.adminUserUpdate},
		{"PATCH", "/admin/users/{user}", "escalated.admin.users.update", staff("user.manage"), s.adminUserUpdate},
		{"PATCH", "/admin/users/{user}/role", "escalated.admin.users.role", staff("user.manage"), s.adminUserRole},
		{"DELETE", "/admin/users/{user}", "escalated.admin.users.destroy", staff("user.manage"), s.adminUserDestroy},

		{"GET", "/admin/statuses", "escalated.admin.statuses.index", staff("settings.view"), s.adminStatusIndex},
		{"POST", "/admin/statuses", "escalated.admin.statuses.store", staff("settings.manage"), s.adminStatusStore},
		{"PUT", "/admin/statuses/{status}", "escalated.admin.statuses.update", staff("settings.manage"), s.adminStatusUpdate},
		{"PATCH", "/admin/statuses/{status}", "escalated.admin.statuses.update", staff("settings.manage"), s.adminStatusUpdate},
		{"DELETE", "/admin/statuses/{status}", "escalated.admin.statuses.destroy", staff("settings.manage"), s.adminStatusDestroy},
		{"GET", "/admin/transitions", "escalated.admin.transitions.index", staff("settings.view"), s.adminTransitionIndex},
		{"PUT", "/admin/transitions", "escalated.admin.transitions.update", staff("settings.manage"), s.adminTransitionUpdate},

		{"GET", "/admin/business-hours", "escalated.admin.business-hours.index", staff("sla.view"), s.adminBusinessHourIndex},
		{"POST", "/admin/business-hours", "escalated.admin.business-hours.store", staff("sla.manage"), s.adminBusinessHourStore},
		{"GET", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.show", staff("sla.view"), s.adminBusinessHourShow},
		{"PUT", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.update", staff("sla.manage"), s.adminBusinessHourUpdate},
		{"PATCH", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.update", staff("sla.manage"), s.adminBusinessHourUpdate},
		{"DELETE", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.destroy", staff("sla.manage"), s.adminBusinessHourDestroy},

		{"GET", "/admin/sla-policies", "escalated.admin.sla-policies.index", staff("sla.view"), s.adminSLAPolicyIndex},
		{"POST", "/admin/sla-policies", "escalated.admin.sla-policies.store", staff("sla.manage"), s.adminSLAPolicyStore},
		{"GET", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.show", staff("sla.view"), s.adminSLAPolicyShow},
		{"PUT", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.update", staff("sla.manage"), s.adminSLAPolicyUpdate},
		{"PATCH", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.update", staff("sla.manage"), s.adminSLAPolicyUpdate},
		{"DELETE", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.destroy", staff("sla.manage"), s.adminSLAPolicyDestroy},

		{"POST", "/admin/tickets/{ticket}/snooze", "escalated.admin.tickets.snooze", staff("ticket.edit"), s.ticketSnooze},
		{"POST", "/admin/tickets/{ticket}/unsnooze", "escalated.admin.tickets.unsnooze", staff("ticket.edit"), s.ticketUnsnooze},

		{"GET", "/admin/audit-log", "escalated.admin.audit-log", staff("audit.view"), s.adminAuditLogIndex},
		{"GET", "/admin/audit-logs", "escalated.admin.audit-logs.index", staff("audit.view"), s.adminAuditLogIndex},

		// Macros are an agent tool: listed with macro.view, personal ones made with
		// macro.create, shared ones and others' managed with macro.manage (checked by the service).
		{"GET", "/admin/macros", "escalated.admin.macros.index", staff("macro.view"), s.adminMacroIndex},
		{"POST", "/admin/macros", "escalated.admin.macros.store", staff("macro.view"), s.adminMacroStore},
		{"GET", "/admin/macros/{macro}", "escalated.admin.macros.show", staff("macro.view"), s.adminMacroShow},
		{"PUT", "/admin/macros/{macro}", "escalated.admin.macros.update", staff("macro.view"), s.adminMacroUpdate},
		{"PATCH", "/admin/macros/{macro}", "escalated.admin.macros.update", staff("macro.view"), s.adminMacroUpdate},
		{"DELETE", "/admin/macros/{macro}", "escalated.admin.macros.destroy", staff("macro.view"), s.adminMacroDestroy},

		{"GET", "/admin/escalation-rules", "escalated.admin.escalation-rules.index", staff("escalation.view"), esc.index},
		{"POST", "/admin/escalation-rules", "escalated.admin.escalation-rules.store", staff("escalation.manage"), esc.store},
		{"POST", "/admin/escalation-rules/run", "escalated.admin.escalation-rules.run", staff("escalation.manage"), esc.run},
		{"GET", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.show", staff("escalation.view"), esc.show},
		{"PUT", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.update", staff("escalation.manage"), esc.update},
		{"PATCH", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.update", staff("escalation.manage"), esc.update},
		{"DELETE", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.destroy", staff("escalation.manage"), esc.destroy},

		{"GET", "/admin/automations", "escalated.admin.automations.index", staff("automation.view"), auto.index},
		{"POST", "/admin/automations", "escalated.admin.automations.store", staff("automation.manage"), auto.store},
		{"POST", "/admin/automations/run", "escalated.admin.automations.run", staff("automation.manage"), auto.run},
		{"GET", "/admin/automations/{automation}", "escalated.admin.automations.show", staff("automation.view"), auto.show},
		{"PUT", "/admin/automations/{automation}", "escalated.admin.automations.update", staff("automation.manage"), auto.update},
		{"PATCH", "/admin/automations/{automation}", "escalated.admin.automations.update", staff("automation.manage"), auto.update},
		{"DELETE", "/admin/automations/{automation}", "escalated.admin.automations.destroy", staff("automation.manage"), auto.destroy},
	}
}
