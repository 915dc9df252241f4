import { computed } from 'vue'
import { usePage } from '@inertiajs/vue3'

// can answers whether the shared `escalated` prop grants a permission: '*' grants all, and
// without a permissions list only an admin may (shapes.md §1). The server checks again; this
// only decides what to show.
export function can(escalated, permission) {
  const e = escalated ?? {}
  if (!Array.isArray(e.permissions)) return e.is_admin === true
  return e.permissions.includes('*') || e.permissions.includes(permission)
}

export function usePermissions() {
  const page = usePage()
  const escalated = computed(() => page.props?.escalated ?? {})
  return {
    hasPermission: (permission) => can(escalated.value, permission),
    isAdmin: computed(() => escalated.value.is_admin === true),
    isAgent: computed(() => escalated.value.is_agent === true || escalated.value.is_admin === true),
    isLightAgent: computed(() => escalated.value.agent_type === 'light'),
  }
}
