import { describe, expect, it } from 'vitest'
import Paginator from '../src/components/Paginator.vue'
import { mount, setPage } from './helpers.js'
import { paginator } from './fixtures.js'

describe('Paginator', () => {
  it('inserts the escaped labels as HTML, marks the current page and disables missing links', () => {
    setPage()
    const w = mount(Paginator, { props: { links: paginator([], 1, 3).links } })
    const nav = w.find('nav[aria-label="Pagination"]')
    expect(nav.exists()).toBe(true)
    const prev = nav.find('[aria-disabled="true"]')
    expect(prev.text()).toBe('« Previous')
    expect(prev.element.tagName).toBe('SPAN')
    const current = nav.find('[aria-current="page"]')
    expect(current.text()).toBe('1')
    expect(current.attributes('aria-label')).toBe('Page 1')
    const next = nav.findAll('a').at(-1)
    expect(next.text()).toBe('Next »')
    expect(next.attributes('href')).toBe('/support/agent/tickets?page=2')
  })

  it('does not run markup a label does not hold', () => {
    setPage()
    const links = [{ url: null, label: '&laquo;', active: false }, { url: '/x?page=1', label: '&lt;b&gt;1&lt;/b&gt;', active: true }, { url: null, label: '&raquo;', active: false }, { url: null, label: '2', active: false }]
    const w = mount(Paginator, { props: { links } })
    expect(w.find('b').exists()).toBe(false)
    expect(w.text()).toContain('<b>1</b>')
  })

  it('is hidden for a single page (three links or fewer)', () => {
    setPage()
    const w = mount(Paginator, { props: { links: paginator([], 1, 1).links } })
    expect(w.find('nav').exists()).toBe(false)
  })
})
