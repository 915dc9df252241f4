import { humanize } from './format.js'

// permissionGroups normalizes the role form's `permissions` prop (a list of slugs, a list of
// {slug|name, description}, or an object of group → such a list) into groups of
// {slug, label}, grouped by the part of the slug before the dot.
export function permissionGroups(permissions) {
  const flat = []
  const add = (item) => {
    if (typeof item === 'string') flat.push({ slug: item, label: '' })
    else if (item && typeof item === 'object') {
      const slug = item.slug ?? item.name ?? item.id
      if (slug) flat.push({ slug: String(slug), label: item.description ?? item.label ?? '' })
    }
  }
  if (Array.isArray(permissions)) permissions.forEach(add)
  else if (permissions && typeof permissions === 'object') Object.values(permissions).forEach((list) => (Array.isArray(list) ? list.forEach(add) : add(list)))

  const groups = new Map()
  for (const p of flat) {
    if (p.slug === '*') continue
    const [group, action = ''] = p.slug.split('.')
    if (!groups.has(group)) groups.set(group, { name: humanize(group), items: [] })
    groups.get(group).items.push({ slug: p.slug, label: p.label || humanize(action || p.slug) })
  }
  return [...groups.values()]
}
