// The desk settings the admin page knows how to show (internal/settings/settings.go), in
// sections. A key the server sends that is not listed here is still shown, by its value's type.
export const SETTINGS_SECTIONS = [
  {
    title: 'Tickets',
    keys: {
      ticket_reference_prefix: { label: 'Reference prefix', type: 'text', pattern: '[A-Z0-9]{1,10}', help: 'Up to 10 capital letters or digits; tickets read like ESC-00042.' },
      default_priority: { label: 'Default priority', type: 'select', options: ['low', 'medium', 'high', 'urgent', 'critical'] },
      allow_customer_close: { label: 'Customers may close their tickets', type: 'bool' },
      reopen_on_customer_reply: { label: 'A customer reply reopens a resolved ticket', type: 'bool' },
      auto_close_resolved_after_days: { label: 'Close resolved tickets after (days)', type: 'int', min: 0, max: 3650, help: '0 keeps them resolved.' },
    },
  },
  {
    title: 'Attachments',
    keys: {
      max_attachments_per_reply: { label: 'Files per message', type: 'int', min: 0, max: 100 },
      max_attachment_size_kb: { label: 'Largest file (KB)', type: 'int', min: 1, max: 1048576 },
    },
  },
  {
    title: 'Guests',
    keys: {
      guest_tickets_enabled: { label: 'People without an account may open tickets', type: 'bool' },
      guest_policy_mode: {
        label: 'Guest tickets belong to',
        type: 'select',
        options: { unassigned: 'No account', guest_user: 'A shared guest user', prompt_signup: 'An account the guest is invited to create' },
      },
    },
  },
  {
    title: 'Satisfaction (CSAT)',
    keys: {
      csat_scale: { label: 'Rating scale', type: 'select', options: { 3: '1 to 3', 5: '1 to 5' }, number: true },
      csat_delivery_trigger: { label: 'Ask for a rating when a ticket is', type: 'select', options: ['resolved', 'closed'] },
      csat_delay_hours: { label: 'Wait before asking (hours)', type: 'int', min: 0, max: 720 },
    },
  },
  {
    title: 'Knowledge base',
    keys: {
      knowledge_base_enabled: { label: 'Knowledge base on', type: 'bool' },
      knowledge_base_public: { label: 'Readable without signing in', type: 'bool' },
      knowledge_base_feedback_enabled: { label: 'Readers may say whether an article helped', type: 'bool' },
    },
  },
  {
    title: 'Data retention',
    keys: {
      retention_closed_tickets: { label: 'Delete closed tickets after (days)', type: 'int', min: 0, max: 36500, help: '0 keeps them forever.' },
      retention_attachments: { label: 'Delete attachments after (days)', type: 'int', min: 0, max: 36500, help: '0 keeps them forever.' },
      retention_audit_logs: { label: 'Delete audit log entries after (days)', type: 'int', min: 0, max: 36500, help: '0 keeps them forever.' },
    },
  },
  {
    title: 'Chat widget',
    keys: {
      widget_enabled: { label: 'Widget on', type: 'bool' },
      widget_color: { label: 'Colour', type: 'color' },
      widget_position: { label: 'Position', type: 'select', options: { 'bottom-right': 'Bottom right', 'bottom-left': 'Bottom left' } },
      widget_greeting: { label: 'Greeting', type: 'textarea', maxlength: 500 },
    },
  },
]

function guessType(value) {
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return 'int'
  return 'text'
}

// settingsSections lays out the settings present in values (and allowed by supported, when
// the server names them): the known sections first, then "Other" for keys not listed.
export function settingsSections(values, supported) {
  const allowed = (key) => key in values && (!Array.isArray(supported) || supported.length === 0 || supported.includes(key))
  const known = new Set()
  const sections = []
  for (const s of SETTINGS_SECTIONS) {
    const fields = []
    for (const [key, spec] of Object.entries(s.keys)) {
      known.add(key)
      if (allowed(key)) fields.push({ key, ...spec })
    }
    if (fields.length) sections.push({ title: s.title, fields })
  }
  const other = Object.keys(values)
    .filter((k) => !known.has(k) && allowed(k))
    .sort()
    .map((key) => ({ key, label: key, type: guessType(values[key]) }))
  if (other.length) sections.push({ title: 'Other', fields: other })
  return sections
}

// changedSettings is the body of the update: the keys whose value differs from what was
// loaded, with numbers sent as numbers.
export function changedSettings(original, current, fields) {
  const out = {}
  for (const f of fields) {
    let v = current[f.key]
    if (f.type === 'int' || f.number) v = v === '' || v === null ? v : Number(v)
    if (v !== original[f.key]) out[f.key] = v
  }
  return out
}
