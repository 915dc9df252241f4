import { router } from '@inertiajs/vue3'

// destroy asks before deleting, since nothing can bring the object back.
export function destroy(url, what, options = {}) {
  if (typeof window !== 'undefined' && !window.confirm(`Delete ${what}? This cannot be undone.`)) return false
  router.delete(url, { preserveScroll: true, ...options })
  return true
}

// pick keeps the listed keys of an object: the admin endpoints refuse fields they do not know.
export function pick(data, keys) {
  return Object.fromEntries(keys.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]))
}
