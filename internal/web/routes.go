package web

// routeTable is every URL the desk serves, with its guard in plain sight. Paths are below
// the route prefix. Names are the shared frontend's route names (routes.tsv) where it has one.
// The last column is the route's web UI (see UI): the Inertia page a GET renders for a
// browser, or where an Inertia form post goes when it succeeds. A page-only route has no JSON
// handler; API clients asking it get the page's props as {"data": ...}.
func (s *Server) routeTable() []Route {
	r := []Route{
		{"GET", "/healthz", "escalated.healthz", public, s.health, noPage},
		{"GET", "/me", "escalated.me", signedIn, s.me, noPage},
		// The desk's front door sends each person to their home page; the built frontend's
		// files, which a sign-in owing its second factor needs to show the challenge page.
		{"GET", "/{$}", "escalated.home", public, s.home, noPage},
		{"GET", "/build/{path...}", "escalated.build", public.alsoMidSignIn(), s.asset, noPage},

		// Customers: their own tickets.
		{"GET", "/tickets", "escalated.customer.tickets.index", signedIn, s.customerTicketIndex, page("Escalated/Customer/Index", s.customerIndexPage)},
		{"GET", "/tickets/create", "escalated.customer.tickets.create", signedIn, nil, page("Escalated/Customer/Create", s.customerCreatePage)},
		{"POST", "/tickets", "escalated.customer.tickets.store", signedIn, s.customerTicketStore, then("/tickets/{reference}").saying("Ticket created.")},
		{"GET", "/tickets/{ticket}", "escalated.customer.tickets.show", signedIn, s.customerTicketShow, page("Escalated/Customer/Show", s.customerShowPage)},
		{"POST", "/tickets/{ticket}/reply", "escalated.customer.tickets.reply", signedIn, s.customerTicketReply, back.saying("Reply sent.")},
		{"POST", "/tickets/{ticket}/close", "escalated.customer.tickets.close", signedIn, s.customerTicketClose, back.saying("Ticket closed.")},
		{"POST", "/tickets/{ticket}/reopen", "escalated.customer.tickets.reopen", signedIn, s.customerTicketReopen, back.saying("Ticket reopened.")},

		// Guests: a ticket without an account, reached through its magic link. Every guest
		// route is a 404 while guest_tickets_enabled is off. Opening a ticket and anything
		// that looks a token up count against their own, tighter, per-address limits, failed
		// look-ups included.
		{"GET", "/guest/create", "escalated.guest.tickets.create", public, nil, page("Escalated/Guest/Create", s.guestCreatePage)},
		{"POST", "/guest", "escalated.guest.tickets.store", public.limit(limitGuestCreate), s.guestTicketStore, then("/guest/{token}").saying("Ticket created. Keep this page's address: it is your private link to the ticket.")},
		{"GET", "/guest/{token}", "escalated.guest.tickets.show", public.limit(limitGuestLookup), s.guestTicketShow, page("Escalated/Guest/Show", s.guestShowPage)},
		{"POST", "/guest/{token}/reply", "escalated.guest.tickets.reply", public.limit(limitGuestLookup), s.guestTicketReply, back.saying("Reply sent.")},
		{"GET", "/guest/{token}/attachments/{guest_attachment}", "escalated.guest.attachments.download", public.limit(limitGuestLookup), s.guestAttachmentDownload, noPage},

		// Agents: the queue and work on tickets.
		{"GET", "/agent", "escalated.agent.dashboard", staff("ticket.view"), s.agentDashboard, page("Escalated/Agent/Dashboard", s.agentDashboardPage)},
		{"GET", "/agent/tickets/dashboard", "escalated.agent.tickets.dashboard", staff("ticket.view"), s.agentDashboard, page("Escalated/Agent/Dashboard", s.agentDashboardPage)},
		{"GET", "/agent/tickets", "escalated.agent.tickets.index", staff("ticket.view"), s.agentTicketIndex, page("Escalated/Agent/TicketIndex", s.agentTicketIndexPage)},
		{"POST", "/agent/tickets", "escalated.agent.tickets.store", staff("ticket.create"), s.agentTicketStore, then("/agent/tickets/{reference}").saying("Ticket created.")},
		{"POST", "/agent/tickets/bulk", "escalated.agent.tickets.bulk", staff("ticket.view"), s.agentTicketBulk, back.flashing("bulk")},
		{"GET", "/agent/tickets/{ticket}", "escalated.agent.tickets.show", staff("ticket.view"), s.agentTicketShow, page("Escalated/Agent/TicketShow", s.agentTicketShowPage)},
		{"POST", "/agent/tickets/{ticket}/reply", "escalated.agent.tickets.reply", staff("reply.create"), s.agentTicketReply, back.saying("Reply sent.")},
		{"POST", "/agent/tickets/{ticket}/note", "escalated.agent.tickets.note", staff("reply.create_internal"), s.agentTicketNote, back.saying("Note added.")},
		{"POST", "/agent/tickets/{ticket}/assign", "escalated.agent.tickets.assign", staff("ticket.assign"), s.agentTicketAssign, back.saying("Assignment saved.")},
		{"POST", "/agent/tickets/{ticket}/status", "escalated.agent.tickets.status", staff("ticket.view"), s.agentTicketStatus, back.saying("Status changed.")},
		{"POST", "/agent/tickets/{ticket}/priority", "escalated.agent.tickets.priority", staff("ticket.edit"), s.agentTicketPriority, back.saying("Priority changed.")},
		{"POST", "/agent/tickets/{ticket}/department", "escalated.agent.tickets.department", staff("ticket.edit"), s.agentTicketDepartment, back.saying("Department changed.")},
		{"POST", "/agent/tickets/{ticket}/tags", "escalated.agent.tickets.tags", staff("ticket.edit"), s.agentTicketTagsAdd, back.saying("Tags added.")},
		{"DELETE", "/agent/tickets/{ticket}/tags/{tag}", "escalated.agent.tickets.tags.destroy", staff("ticket.edit"), s.agentTicketTagRemove, back.saying("Tag removed.")},
		// Each action of the macro is checked against its own permission by the service.
		{"POST", "/agent/tickets/{ticket}/macro", "escalated.agent.tickets.macro", staff("ticket.view"), s.agentTicketMacro, back.saying("Macro applied.")},
		// Following is for staff who may see the ticket, light agents included; it toggles.
		{"POST", "/agent/tickets/{ticket}/follow", "escalated.agent.tickets.follow", staff("ticket.view"), s.ticketFollow, back.sayingBy(followMessage)},
		{"POST", "/agent/tickets/{ticket}/snooze", "escalated.agent.tickets.snooze", staff("ticket.edit"), s.ticketSnooze, back.saying("Ticket snoozed.")},
		{"POST", "/agent/tickets/{ticket}/unsnooze", "escalated.agent.tickets.unsnooze", staff("ticket.edit"), s.ticketUnsnooze, back.saying("Ticket woken.")},

		// Each staff member's own inbox: what rules, workflows and failing webhooks tell them.
		{"GET", "/agent/notifications", "escalated.agent.notifications.index", anyStaff, s.notificationIndex, page("Escalated/Agent/Notifications", s.notificationsPage)},
		{"POST", "/agent/notifications/read-all", "escalated.agent.notifications.read-all", anyStaff, s.notificationReadAll, back.saying("All notifications marked read.")},
		{"POST", "/agent/notifications/{notification}/read", "escalated.agent.notifications.read", anyStaff, s.notificationRead, back},

		// Attachments, authorized through the ticket or reply they belong to.
		{"GET", "/attachments/{attachment}/download", "escalated.attachments.download", signedIn, s.attachmentDownload, noPage},

		// Admin.
		{"GET", "/admin/settings", "escalated.admin.settings", staff("settings.view"), s.adminSettingsShow, page("Escalated/Admin/Settings", s.adminSettingsPage)},
		{"POST", "/admin/settings", "escalated.admin.settings.update", staff("settings.manage"), s.adminSettingsUpdate, back.saying("Settings saved.")},
	}
	// The desk's own sign-in, with its second factor; a host's resolver replaces both.
	// A session that owes its second factor may finish, start again or give up, nothing more.
	if s.Resolver == nil {
		r = append(r,
			Route{"POST", "/login", "escalated.login", public.limit(limitLogin).alsoMidSignIn(), s.login, UI{next: s.afterSignIn}},
			// "login" is the name the shared frontend calls the host's sign-in page by.
			Route{"GET", "/login", "login", public.alsoMidSignIn(), nil, page("Escalated/Auth/Login", s.loginPage)},
			Route{"POST", "/logout", "escalated.logout", public.alsoMidSignIn(), s.logout, then("/login")},
			Route{"POST", "/two-factor/verify", "escalated.two-factor.verify", midSignIn.limit(limitTwoFactor), s.twoFactorVerify, UI{next: s.afterSignIn}},
			Route{"GET", "/two-factor/challenge", "escalated.two-factor.challenge", midSignIn, nil, page("Escalated/Auth/TwoFactorChallenge", s.twoFactorChallengePage)},
			// Under /admin in the frontend's route table, yet for every staff member's own account.
			Route{"GET", "/admin/settings/two-factor", "escalated.admin.two-factor", anyStaff, s.twoFactorShow, page("Escalated/Admin/Settings/TwoFactor", s.twoFactorPage)},
			Route{"POST", "/admin/settings/two-factor/setup", "escalated.admin.two-factor.setup", anyStaff.limit(limitTwoFactor), s.twoFactorSetup, back.flashing("two_factor_setup")},
			Route{"POST", "/admin/settings/two-factor/confirm", "escalated.admin.two-factor.confirm", anyStaff.limit(limitTwoFactor), s.twoFactorConfirm, back.flashing("two_factor_confirmed").saying("Two-factor authentication is on.")},
			Route{"POST", "/admin/settings/two-factor/disable", "escalated.admin.two-factor.disable", anyStaff.limit(limitTwoFactor), s.twoFactorDisable, back.saying("Two-factor authentication is off.")},
		)
	}
	r = append(r, s.adminRoutes()...)
	return r
}

func (s *Server) adminRoutes() []Route {
	esc, auto := s.escalationRules(), s.automations()
	return []Route{
		{"GET", "/admin/departments", "escalated.admin.departments.index", staff("department.view"), s.adminDepartmentIndex, page("Escalated/Admin/Departments/Index", s.adminDepartmentsIndexPage)},
		{"GET", "/admin/departments/create", "escalated.admin.departments.create", staff("department.create"), nil, page("Escalated/Admin/Departments/Form", s.adminDepartmentFormPage)},
		{"GET", "/admin/departments/{department}/edit", "escalated.admin.departments.edit", staff("department.edit"), nil, page("Escalated/Admin/Departments/Form", s.adminDepartmentFormPage)},
		{"POST", "/admin/departments", "escalated.admin.departments.store", staff("department.create"), s.adminDepartmentStore, then("/admin/departments").saying("Department created.")},
		{"GET", "/admin/departments/{department}", "escalated.admin.departments.show", staff("department.view"), s.adminDepartmentShow, noPage},
		{"PUT", "/admin/departments/{department}", "escalated.admin.departments.update", staff("department.edit"), s.adminDepartmentUpdate, then("/admin/departments").saying("Department saved.")},
		{"PATCH", "/admin/departments/{department}", "escalated.admin.departments.update", staff("department.edit"), s.adminDepartmentUpdate, then("/admin/departments").saying("Department saved.")},
		{"DELETE", "/admin/departments/{department}", "escalated.admin.departments.destroy", staff("department.delete"), s.adminDepartmentDestroy, then("/admin/departments").saying("Department deleted.")},

		{"GET", "/admin/tags", "escalated.admin.tags.index", staff("tag.view"), s.adminTagIndex, page("Escalated/Admin/Tags/Index", s.adminTagsIndexPage)},
		{"POST", "/admin/tags", "escalated.admin.tags.store", staff("tag.manage"), s.adminTagStore, then("/admin/tags").saying("Tag created.")},
		{"PUT", "/admin/tags/{tag}", "escalated.admin.tags.update", staff("tag.manage"), s.adminTagUpdate, back.saying("Tag saved.")},
		{"PATCH", "/admin/tags/{tag}", "escalated.admin.tags.update", staff("tag.manage"), s.adminTagUpdate, back.saying("Tag saved.")},
		{"DELETE", "/admin/tags/{tag}", "escalated.admin.tags.destroy", staff("tag.manage"), s.adminTagDestroy, back.saying("Tag deleted.")},

		{"GET", "/admin/roles", "escalated.admin.roles.index", staff("role.view"), s.adminRoleIndex, page("Escalated/Admin/Roles/Index", s.adminRolesIndexPage)},
		{"GET", "/admin/roles/create", "escalated.admin.roles.create", staff("role.manage"), nil, page("Escalated/Admin/Roles/Form", s.adminRoleFormPage)},
		{"GET", "/admin/roles/{role}/edit", "escalated.admin.roles.edit", staff("role.manage"), nil, page("Escalated/Admin/Roles/Form", s.adminRoleFormPage)},
		{"POST", "/admin/roles", "escalated.admin.roles.store", staff("role.manage"), s.adminRoleStore, then("/admin/roles").saying("Role created.")},
		{"GET", "/admin/roles/{role}", "escalated.admin.roles.show", staff("role.view"), s.adminRoleShow, noPage},
		{"PUT", "/admin/roles/{role}", "escalated.admin.roles.update", staff("role.manage"), s.adminRoleUpdate, then("/admin/roles").saying("Role saved.")},
		{"PATCH", "/admin/roles/{role}", "escalated.admin.roles.update", staff("role.manage"), s.adminRoleUpdate, then("/admin/roles").saying("Role saved.")},
		{"DELETE", "/admin/roles/{role}", "escalated.admin.roles.destroy", staff("role.manage"), s.adminRoleDestroy, then("/admin/roles").saying("Role deleted.")},

		{"GET", "/admin/users", "escalated.admin.users.index", staff("user.view"), s.adminUserIndex, page("Escalated/Admin/Users/Index", s.adminUsersIndexPage)},
		{"POST", "/admin/users", "escalated.admin.users.store", staff("user.manage"), s.adminUserStore, then("/admin/users").saying("User created.")},
		{"GET", "/admin/users/{user}", "escalated.admin.users.show", staff("user.view"), s.adminUserShow, noPage},
		{"PUT", "/admin/users/{user}", "escalated.admin.users.update", staff("user.manage"), s.adminUserUpdate, back.saying("User saved.")},
		{"PATCH", "/admin/users/{user}", "escalated.admin.users.update", staff("user.manage"), s.adminUserUpdate, back.saying("User saved.")},
		{"PATCH", "/admin/users/{user}/role", "escalated.admin.users.role", staff("user.manage"), s.adminUserRole, back.saying("Role changed.")},
		{"DELETE", "/admin/users/{user}", "escalated.admin.users.destroy", staff("user.manage"), s.adminUserDestroy, back.saying("User deactivated.")},

		{"GET", "/admin/statuses", "escalated.admin.statuses.index", staff("settings.view"), s.adminStatusIndex, page("Escalated/Admin/Statuses/Index", s.adminStatusesIndexPage)},
		{"GET", "/admin/statuses/create", "escalated.admin.statuses.create", staff("settings.manage"), nil, page("Escalated/Admin/Statuses/Form", s.adminStatusFormPage)},
		{"GET", "/admin/statuses/{status}/edit", "escalated.admin.statuses.edit", staff("settings.manage"), nil, page("Escalated/Admin/Statuses/Form", s.adminStatusFormPage)},
		{"POST", "/admin/statuses", "escalated.admin.statuses.store", staff("settings.manage"), s.adminStatusStore, then("/admin/statuses").saying("Status created.")},
		{"PUT", "/admin/statuses/{status}", "escalated.admin.statuses.update", staff("settings.manage"), s.adminStatusUpdate, then("/admin/statuses").saying("Status saved.")},
		{"PATCH", "/admin/statuses/{status}", "escalated.admin.statuses.update", staff("settings.manage"), s.adminStatusUpdate, then("/admin/statuses").saying("Status saved.")},
		{"DELETE", "/admin/statuses/{status}", "escalated.admin.statuses.destroy", staff("settings.manage"), s.adminStatusDestroy, then("/admin/statuses").saying("Status deleted.")},
		{"GET", "/admin/transitions", "escalated.admin.transitions.index", staff("settings.view"), s.adminTransitionIndex, page("Escalated/Admin/Transitions/Index", s.adminTransitionsPage)},
		{"PUT", "/admin/transitions", "escalated.admin.transitions.update", staff("settings.manage"), s.adminTransitionUpdate, then("/admin/transitions").saying("Transitions saved.")},

		{"GET", "/admin/business-hours", "escalated.admin.business-hours.index", staff("sla.view"), s.adminBusinessHourIndex, page("Escalated/Admin/BusinessHours/Index", s.adminBusinessHoursIndexPage)},
		{"GET", "/admin/business-hours/create", "escalated.admin.business-hours.create", staff("sla.manage"), nil, page("Escalated/Admin/BusinessHours/Form", s.adminBusinessHourFormPage)},
		{"GET", "/admin/business-hours/{business_hour}/edit", "escalated.admin.business-hours.edit", staff("sla.manage"), nil, page("Escalated/Admin/BusinessHours/Form", s.adminBusinessHourFormPage)},
		{"POST", "/admin/business-hours", "escalated.admin.business-hours.store", staff("sla.manage"), s.adminBusinessHourStore, then("/admin/business-hours").saying("Business schedule created.")},
		{"GET", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.show", staff("sla.view"), s.adminBusinessHourShow, noPage},
		{"PUT", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.update", staff("sla.manage"), s.adminBusinessHourUpdate, then("/admin/business-hours").saying("Business schedule saved.")},
		{"PATCH", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.update", staff("sla.manage"), s.adminBusinessHourUpdate, then("/admin/business-hours").saying("Business schedule saved.")},
		{"DELETE", "/admin/business-hours/{business_hour}", "escalated.admin.business-hours.destroy", staff("sla.manage"), s.adminBusinessHourDestroy, then("/admin/business-hours").saying("Business schedule deleted.")},

		{"GET", "/admin/sla-policies", "escalated.admin.sla-policies.index", staff("sla.view"), s.adminSLAPolicyIndex, page("Escalated/Admin/SlaPolicies/Index", s.adminSLAPoliciesIndexPage)},
		{"GET", "/admin/sla-policies/create", "escalated.admin.sla-policies.create", staff("sla.manage"), nil, page("Escalated/Admin/SlaPolicies/Form", s.adminSLAPolicyFormPage)},
		{"GET", "/admin/sla-policies/{sla_policy}/edit", "escalated.admin.sla-policies.edit", staff("sla.manage"), nil, page("Escalated/Admin/SlaPolicies/Form", s.adminSLAPolicyFormPage)},
		{"POST", "/admin/sla-policies", "escalated.admin.sla-policies.store", staff("sla.manage"), s.adminSLAPolicyStore, then("/admin/sla-policies").saying("SLA policy created.")},
		{"GET", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.show", staff("sla.view"), s.adminSLAPolicyShow, noPage},
		{"PUT", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.update", staff("sla.manage"), s.adminSLAPolicyUpdate, then("/admin/sla-policies").saying("SLA policy saved.")},
		{"PATCH", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.update", staff("sla.manage"), s.adminSLAPolicyUpdate, then("/admin/sla-policies").saying("SLA policy saved.")},
		{"DELETE", "/admin/sla-policies/{sla_policy}", "escalated.admin.sla-policies.destroy", staff("sla.manage"), s.adminSLAPolicyDestroy, then("/admin/sla-policies").saying("SLA policy deleted.")},

		{"POST", "/admin/tickets/{ticket}/snooze", "escalated.admin.tickets.snooze", staff("ticket.edit"), s.ticketSnooze, back},
		{"POST", "/admin/tickets/{ticket}/unsnooze", "escalated.admin.tickets.unsnooze", staff("ticket.edit"), s.ticketUnsnooze, back},
		{"POST", "/admin/tickets/{ticket}/follow", "escalated.admin.tickets.follow", staff("ticket.view"), s.ticketFollow, back.sayingBy(followMessage)},
		{"POST", "/admin/tickets/{ticket}/macro", "escalated.admin.tickets.macro", staff("ticket.view"), s.agentTicketMacro, back.saying("Macro applied.")},

		{"GET", "/admin/audit-log", "escalated.admin.audit-log", staff("audit.view"), s.adminAuditLogIndex, page("Escalated/Admin/AuditLog/Index", s.adminAuditLogPage)},
		{"GET", "/admin/audit-logs", "escalated.admin.audit-logs.index", staff("audit.view"), s.adminAuditLogIndex, noPage},

		// Macros are an agent tool: listed with macro.view, personal ones made with
		// macro.create, shared ones and others' managed with macro.manage (checked by the service).
		{"GET", "/admin/macros", "escalated.admin.macros.index", staff("macro.view"), s.adminMacroIndex, page("Escalated/Admin/Macros/Index", s.adminMacrosIndexPage)},
		{"POST", "/admin/macros", "escalated.admin.macros.store", staff("macro.view"), s.adminMacroStore, then("/admin/macros").saying("Macro created.")},
		{"GET", "/admin/macros/{macro}", "escalated.admin.macros.show", staff("macro.view"), s.adminMacroShow, noPage},
		{"PUT", "/admin/macros/{macro}", "escalated.admin.macros.update", staff("macro.view"), s.adminMacroUpdate, then("/admin/macros").saying("Macro saved.")},
		{"PATCH", "/admin/macros/{macro}", "escalated.admin.macros.update", staff("macro.view"), s.adminMacroUpdate, then("/admin/macros").saying("Macro saved.")},
		{"DELETE", "/admin/macros/{macro}", "escalated.admin.macros.destroy", staff("macro.view"), s.adminMacroDestroy, then("/admin/macros").saying("Macro deleted.")},

		// Canned responses take the macro permissions (DOMAIN.md names none of their own): used
		// with macro.view, personal ones kept with macro.create, shared ones and others' managed
		// with macro.manage (checked by the service).
		{"GET", "/admin/canned-responses", "escalated.admin.canned-responses.index", staff("macro.view"), s.adminCannedIndex, page("Escalated/Admin/CannedResponses/Index", s.adminCannedResponsesIndexPage)},
		{"POST", "/admin/canned-responses", "escalated.admin.canned-responses.store", staff("macro.view"), s.adminCannedStore, then("/admin/canned-responses").saying("Canned response created.")},
		{"GET", "/admin/canned-responses/{cannedResponse}", "escalated.admin.canned-responses.show", staff("macro.view"), s.adminCannedShow, noPage},
		{"PUT", "/admin/canned-responses/{cannedResponse}", "escalated.admin.canned-responses.update", staff("macro.view"), s.adminCannedUpdate, then("/admin/canned-responses").saying("Canned response saved.")},
		{"PATCH", "/admin/canned-responses/{cannedResponse}", "escalated.admin.canned-responses.update", staff("macro.view"), s.adminCannedUpdate, then("/admin/canned-responses").saying("Canned response saved.")},
		{"DELETE", "/admin/canned-responses/{cannedResponse}", "escalated.admin.canned-responses.destroy", staff("macro.view"), s.adminCannedDestroy, then("/admin/canned-responses").saying("Canned response deleted.")},

		{"GET", "/admin/escalation-rules", "escalated.admin.escalation-rules.index", staff("escalation.view"), esc.index, page("Escalated/Admin/EscalationRules/Index", s.adminEscalationRulesIndexPage)},
		{"GET", "/admin/escalation-rules/create", "escalated.admin.escalation-rules.create", staff("escalation.manage"), nil, page("Escalated/Admin/EscalationRules/Form", s.adminEscalationRuleFormPage)},
		{"GET", "/admin/escalation-rules/{escalation_rule}/edit", "escalated.admin.escalation-rules.edit", staff("escalation.manage"), nil, page("Escalated/Admin/EscalationRules/Form", s.adminEscalationRuleFormPage)},
		{"POST", "/admin/escalation-rules", "escalated.admin.escalation-rules.store", staff("escalation.manage"), esc.store, then("/admin/escalation-rules").saying("Escalation rule created.")},
		{"POST", "/admin/escalation-rules/run", "escalated.admin.escalation-rules.run", staff("escalation.manage"), esc.run, back.flashing("run").saying("Escalation rules ran.")},
		{"GET", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.show", staff("escalation.view"), esc.show, noPage},
		{"PUT", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.update", staff("escalation.manage"), esc.update, then("/admin/escalation-rules").saying("Escalation rule saved.")},
		{"PATCH", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.update", staff("escalation.manage"), esc.update, then("/admin/escalation-rules").saying("Escalation rule saved.")},
		{"DELETE", "/admin/escalation-rules/{escalation_rule}", "escalated.admin.escalation-rules.destroy", staff("escalation.manage"), esc.destroy, then("/admin/escalation-rules").saying("Escalation rule deleted.")},

		{"GET", "/admin/automations", "escalated.admin.automations.index", staff("automation.view"), auto.index, page("Escalated/Admin/Automations/Index", s.adminAutomationsIndexPage)},
		{"GET", "/admin/automations/create", "escalated.admin.automations.create", staff("automation.manage"), nil, page("Escalated/Admin/Automations/Form", s.adminAutomationFormPage)},
		{"GET", "/admin/automations/{automation}/edit", "escalated.admin.automations.edit", staff("automation.manage"), nil, page("Escalated/Admin/Automations/Form", s.adminAutomationFormPage)},
		{"POST", "/admin/automations", "escalated.admin.automations.store", staff("automation.manage"), auto.store, then("/admin/automations").saying("Automation created.")},
		{"POST", "/admin/automations/run", "escalated.admin.automations.run", staff("automation.manage"), auto.run, back.flashing("run").saying("Automations ran.")},
		{"GET", "/admin/automations/{automation}", "escalated.admin.automations.show", staff("automation.view"), auto.show, noPage},
		{"PUT", "/admin/automations/{automation}", "escalated.admin.automations.update", staff("automation.manage"), auto.update, then("/admin/automations").saying("Automation saved.")},
		{"PATCH", "/admin/automations/{automation}", "escalated.admin.automations.update", staff("automation.manage"), auto.update, then("/admin/automations").saying("Automation saved.")},
		{"DELETE", "/admin/automations/{automation}", "escalated.admin.automations.destroy", staff("automation.manage"), auto.destroy, then("/admin/automations").saying("Automation deleted.")},

		// Redeliveries and test events are queued (202); the log shows how they went. A new
		// webhook's signing secret is flashed once, as flash.webhook_secret, and never listed.
		{"GET", "/admin/webhooks", "escalated.admin.webhooks.index", staff("webhook.view"), s.adminWebhookIndex, page("Escalated/Admin/Webhooks/Index", s.adminWebhooksIndexPage)},
		{"GET", "/admin/webhooks/create", "escalated.admin.webhooks.create", staff("webhook.manage"), nil, page("Escalated/Admin/Webhooks/Form", s.adminWebhookFormPage)},
		{"GET", "/admin/webhooks/{webhook}/edit", "escalated.admin.webhooks.edit", staff("webhook.manage"), nil, page("Escalated/Admin/Webhooks/Form", s.adminWebhookFormPage)},
		{"POST", "/admin/webhooks", "escalated.admin.webhooks.store", staff("webhook.manage"), s.adminWebhookStore, then("/admin/webhooks").saying("Webhook created.").flashingField("webhook_secret", "secret")},
		{"POST", "/admin/webhooks/deliveries/{delivery}/retry", "escalated.admin.webhooks.retry", staff("webhook.manage"), s.adminWebhookRetry, back.saying("Delivery queued again.")},
		{"GET", "/admin/webhooks/{webhook}", "escalated.admin.webhooks.show", staff("webhook.view"), s.adminWebhookShow, noPage},
		{"PUT", "/admin/webhooks/{webhook}", "escalated.admin.webhooks.update", staff("webhook.manage"), s.adminWebhookUpdate, then("/admin/webhooks").saying("Webhook saved.")},
		{"PATCH", "/admin/webhooks/{webhook}", "escalated.admin.webhooks.update", staff("webhook.manage"), s.adminWebhookUpdate, then("/admin/webhooks").saying("Webhook saved.")},
		{"DELETE", "/admin/webhooks/{webhook}", "escalated.admin.webhooks.destroy", staff("webhook.manage"), s.adminWebhookDestroy, then("/admin/webhooks").saying("Webhook deleted.")},
		{"POST", "/admin/webhooks/{webhook}/test", "escalated.admin.webhooks.test", staff("webhook.manage"), s.adminWebhookTest, back.saying("Test event queued.")},
		{"GET", "/admin/webhooks/{webhook}/deliveries", "escalated.admin.webhooks.deliveries", staff("webhook.view"), s.adminWebhookDeliveries, page("Escalated/Admin/Webhooks/DeliveryLog", s.adminWebhookDeliveriesPage)},
		{"POST", "/admin/webhooks/{webhook}/deliveries/{delivery}/redeliver", "escalated.admin.webhooks.deliveries.redeliver", staff("webhook.manage"), s.adminWebhookRedeliver, back.saying("Delivery queued again.")},

		// Workflows are managed with the automation permissions: DOMAIN.md has no workflow ones.
		// The edit page is the workflow's own URL, as in routes.tsv; toggle takes {"active"}
		// (the shared frontend's PUT) or nothing (flip), by PUT or POST.
		{"GET", "/admin/workflows", "escalated.admin.workflows.index", staff("automation.view"), s.adminWorkflowIndex, page("Escalated/Admin/Workflows/Index", s.adminWorkflowsIndexPage)},
		{"GET", "/admin/workflows/create", "escalated.admin.workflows.create", staff("automation.manage"), nil, page("Escalated/Admin/Workflows/Form", s.adminWorkflowFormPage)},
		{"POST", "/admin/workflows", "escalated.admin.workflows.store", staff("automation.manage"), s.adminWorkflowStore, then("/admin/workflows").saying("Workflow created.")},
		{"GET", "/admin/workflows/logs", "escalated.admin.workflows.logs", staff("automation.view"), s.adminWorkflowAllLogs, page("Escalated/Admin/Workflows/Logs", s.adminWorkflowLogsPage)},
		{"GET", "/admin/workflows/{workflow}", "escalated.admin.workflows.edit", staff("automation.view"), s.adminWorkflowShow, page("Escalated/Admin/Workflows/Form", s.adminWorkflowFormPage)},
		{"PUT", "/admin/workflows/{workflow}", "escalated.admin.workflows.update", staff("automation.manage"), s.adminWorkflowUpdate, then("/admin/workflows").saying("Workflow saved.")},
		{"PATCH", "/admin/workflows/{workflow}", "escalated.admin.workflows.update", staff("automation.manage"), s.adminWorkflowUpdate, then("/admin/workflows").saying("Workflow saved.")},
		{"DELETE", "/admin/workflows/{workflow}", "escalated.admin.workflows.destroy", staff("automation.manage"), s.adminWorkflowDestroy, then("/admin/workflows").saying("Workflow deleted.")},
		{"PUT", "/admin/workflows/{workflow}/toggle", "escalated.admin.workflows.toggle", staff("automation.manage"), s.adminWorkflowToggle, back.saying("Workflow switched.")},
		{"POST", "/admin/workflows/{workflow}/toggle", "escalated.admin.workflows.toggle", staff("automation.manage"), s.adminWorkflowToggle, back.saying("Workflow switched.")},
		{"GET", "/admin/workflows/{workflow}/logs", "escalated.admin.workflows.logs.show", staff("automation.view"), s.adminWorkflowLogs, page("Escalated/Admin/Workflows/Logs", s.adminWorkflowLogsPage)},

		// Any staff member manages their own API tokens; api_token.view shows everyone's and
		// api_token.manage acts on them (checked in the service). The new token's plaintext is
		// flashed once, as the string flash.plain_text_token.
		{"GET", "/admin/api-tokens", "escalated.admin.api-tokens.index", anyStaff, s.adminAPITokenIndex, page("Escalated/Admin/ApiTokens/Index", s.adminAPITokensIndexPage)},
		{"POST", "/admin/api-tokens", "escalated.admin.api-tokens.store", anyStaff, s.adminAPITokenStore, back.saying("API token created.").flashingField("plain_text_token", "token")},
		{"DELETE", "/admin/api-tokens/{token}", "escalated.admin.api-tokens.destroy", anyStaff, s.adminAPITokenDestroy, back.saying("API token revoked.")},
	}
}

// apiRoutes is the REST API v1, described route by route in openapi.json. Its guards take a
// bearer token only; a token's rights are its abilities that its owner holds now. Where the
// permission depends on the body (a reply or a note, a status that closes), the guard asks for
// ticket.view and the ticket service decides.
func (s *Server) apiRoutes() []Route {
	const v1 = apiBase
	return []Route{
		{"GET", v1 + "/openapi.json", "escalated.api.openapi", public, s.apiOpenAPI, noPage},
		{"POST", v1 + "/auth/validate", "escalated.api.auth.validate", anyToken, s.apiAuthValidate, back},
		{"GET", v1 + "/dashboard", "escalated.api.dashboard", token("ticket.view"), s.apiDashboard, noPage},

		{"GET", v1 + "/tickets", "escalated.api.tickets.index", token("ticket.view"), s.apiTicketIndex, noPage},
		{"POST", v1 + "/tickets", "escalated.api.tickets.store", token("ticket.create"), s.apiTicketStore, back},
		{"GET", v1 + "/tickets/{reference}", "escalated.api.tickets.show", token("ticket.view"), s.agentTicketShow, noPage},
		{"POST", v1 + "/tickets/{reference}/reply", "escalated.api.tickets.reply", token("ticket.view"), s.apiTicketReply, back},
		{"PATCH", v1 + "/tickets/{reference}/status", "escalated.api.tickets.status", token("ticket.view"), s.agentTicketStatus, back},
		{"PATCH", v1 + "/tickets/{reference}/priority", "escalated.api.tickets.priority", token("ticket.edit"), s.agentTicketPriority, back},
		{"POST", v1 + "/tickets/{reference}/assign", "escalated.api.tickets.assign", token("ticket.assign"), s.agentTicketAssign, back},
		{"POST", v1 + "/tickets/{reference}/tags", "escalated.api.tickets.tags", token("ticket.edit"), s.agentTicketTagsAdd, back},
		// Each action of the macro is checked against its own permission by the service.
		{"POST", v1 + "/tickets/{reference}/macro", "escalated.api.tickets.macro", token("ticket.view"), s.agentTicketMacro, back},
		{"POST", v1 + "/tickets/{reference}/follow", "escalated.api.tickets.follow", token("ticket.view"), s.ticketFollow, back},
		{"DELETE", v1 + "/tickets/{reference}", "escalated.api.tickets.destroy", token("ticket.delete"), s.apiTicketDestroy, back},

		{"GET", v1 + "/agents", "escalated.api.agents.index", token("ticket.view"), s.apiAgentIndex, noPage},
		{"GET", v1 + "/departments", "escalated.api.departments.index", token("department.view"), s.apiDepartmentIndex, noPage},
		{"GET", v1 + "/tags", "escalated.api.tags.index", token("tag.view"), s.apiTagIndex, noPage},
		{"GET", v1 + "/macros", "escalated.api.macros.index", token("macro.view"), s.apiMacroIndex, noPage},
		{"GET", v1 + "/canned-responses", "escalated.api.canned-responses.index", token("macro.view"), s.apiCannedIndex, noPage},
		{"GET", v1 + "/reports/summary", "escalated.api.reports.summary", token("report.view"), s.apiReportSummary, noPage},
	}
}
