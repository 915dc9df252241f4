import { describe, expect, it } from 'vitest'
import { can } from '../src/lib/permissions.js'

describe('can()', () => {
  it("grants everything for '*'", () => {
    expect(can({ permissions: ['*'] }, 'settings.manage')).toBe(true)
  })
  it('grants listed permissions only', () => {
    const e = { is_admin: true, permissions: ['ticket.view', 'reply.create'] }
    expect(can(e, 'reply.create')).toBe(true)
    expect(can(e, 'ticket.assign')).toBe(false)
  })
  it('without a list, grants all to an admin and nothing to others', () => {
    expect(can({ is_admin: true }, 'role.manage')).toBe(true)
    expect(can({ is_agent: true }, 'ticket.view')).toBe(false)
    expect(can(undefined, 'ticket.view')).toBe(false)
  })
})
