// layoutMode picks the navigation for a page from its URL (shapes.md §1: a URL with /admin
// or /agent switches the layout to panel mode).
export function layoutMode(url) {
  const path = String(url ?? '').split(/[?#]/)[0]
  if (/\/admin(\/|$)/.test(path)) return 'admin'
  if (/\/agent(\/|$)/.test(path)) return 'agent'
  return 'customer'
}

// The admin menu: each entry is shown to those holding its permission. Paths are below the
// prefix, as the contract builds them (shapes.md §10).
export const ADMIN_SECTIONS = [
  {
    label: 'Setup',
    items: [
      { label: 'Departments', path: '/admin/departments', permission: 'department.view' },
      { label: 'SLA policies', path: '/admin/sla-policies', permission: 'sla.view' },
      { label: 'Business hours', path: '/admin/business-hours', permission: 'sla.view' },
      { label: 'Statuses', path: '/admin/statuses', permission: 'settings.view' },
      { label: 'Status transitions', path: '/admin/transitions', permission: 'settings.view' },
      { label: 'Tags', path: '/admin/tags', permission: 'tag.view' },
    ],
  },
  {
    label: 'Automation',
    items: [
      { label: 'Escalation rules', path: '/admin/escalation-rules', permission: 'escalation.view' },
      { label: 'Automations', path: '/admin/automations', permission: 'automation.view' },
      { label: 'Workflows', path: '/admin/workflows', permission: 'automation.view' },
      { label: 'Macros', path: '/admin/macros', permission: 'macro.view' },
      { label: 'Canned responses', path: '/admin/canned-responses', permission: 'macro.view' },
    ],
  },
  {
    label: 'People',
    items: [
      { label: 'Users', path: '/admin/users', permission: 'user.view' },
      { label: 'Roles', path: '/admin/roles', permission: 'role.view' },
    ],
  },
  {
    label: 'Integrations',
    items: [
      { label: 'Webhooks', path: '/admin/webhooks', permission: 'webhook.view' },
      { label: 'API tokens', path: '/admin/api-tokens', permission: 'api_token.view' },
    ],
  },
  {
    label: 'System',
    items: [
      { label: 'Settings', path: '/admin/settings', permission: 'settings.view' },
      { label: 'Audit log', path: '/admin/audit-log', permission: 'audit.view' },
    ],
  },
]

// adminSections keeps the entries a permission check allows, and drops empty sections.
export function adminSections(allowed) {
  return ADMIN_SECTIONS.map((s) => ({ ...s, items: s.items.filter((i) => allowed(i.permission)) })).filter((s) => s.items.length > 0)
}

// isCurrent tells whether a menu entry is the page shown (or a page below it).
export function isCurrent(pageUrl, href) {
  const path = String(pageUrl ?? '').split(/[?#]/)[0].replace(/\/+$/, '')
  const target = String(href ?? '').split(/[?#]/)[0].replace(/\/+$/, '')
  return target !== '' && (path === target || path.startsWith(target + '/'))
}

// currentOf picks, among menu hrefs, the one for the page shown: the longest that matches, so
// "New ticket" (/tickets/create) wins over "My tickets" (/tickets) on the form.
export function currentOf(pageUrl, hrefs) {
  return hrefs.filter((h) => isCurrent(pageUrl, h)).sort((a, b) => b.length - a.length)[0] ?? null
}
