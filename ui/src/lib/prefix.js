import { usePage } from '@inertiajs/vue3'

// prefixPath builds the URLs the contract puts together from escalated.prefix rather than
// route() (shapes.md §10), e.g. prefixPath('support', '/admin/tags') → '/support/admin/tags'.
export function prefixPath(prefix, path = '') {
  const p = String(prefix ?? 'support').replace(/^\/+|\/+$/g, '')
  const rest = path ? '/' + String(path).replace(/^\/+/, '') : ''
  return (p ? '/' + p : '') + rest || '/'
}

export function usePrefix() {
  const page = usePage()
  return (path) => prefixPath(page.props?.escalated?.prefix ?? 'support', path)
}
