import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import { objectToFormData } from '@inertiajs/core'
import ReplyComposer from '../src/components/ReplyComposer.vue'
import { composerPayload, mergeFiles } from '../src/lib/composer.js'
import { mount, setPage } from './helpers.js'

const file = (name, size = 3) => new File(['x'.repeat(size)], name, { type: 'text/plain', lastModified: 1 })

function pickFiles(input, files) {
  Object.defineProperty(input.element, 'files', { value: files, configurable: true })
  return input.trigger('change')
}

describe('composerPayload', () => {
  it('sends the body alone without files: the server refuses unknown or empty fields', () => {
    expect(composerPayload('Hi', [])).toEqual({ body: 'Hi' })
  })
  it('adds files as attachments, which Inertia sends as attachments[] (or numbered, if so set)', () => {
    const a = file('a.txt')
    const b = file('b.png')
    const payload = composerPayload('Hi', [a, b])
    expect(payload).toEqual({ body: 'Hi', attachments: [a, b] })
    const fd = objectToFormData(payload)
    expect([...fd.keys()]).toEqual(['body', 'attachments[]', 'attachments[]'])
    expect(fd.getAll('attachments[]').map((f) => f.name)).toEqual(['a.txt', 'b.png'])
    expect([...objectToFormData(payload, new FormData(), null, 'indices').keys()]).toEqual(['body', 'attachments[0]', 'attachments[1]'])
  })
  it('does not attach the same file twice', () => {
    const a = file('a.txt')
    expect(mergeFiles([a], [file('a.txt'), file('c.txt')]).map((f) => f.name)).toEqual(['a.txt', 'c.txt'])
  })
})

describe('ReplyComposer', () => {
  let post
  beforeEach(() => {
    setPage()
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())

  it('posts a reply with its files to the reply URL', async () => {
    const w = mount(ReplyComposer, { props: { replyUrl: '/support/agent/tickets/ESC-1/reply', noteUrl: '/support/agent/tickets/ESC-1/note' } })
    await w.find('textarea').setValue('We are on it.')
    await pickFiles(w.find('input[type="file"]'), [file('log.txt'), file('shot.png')])
    expect(w.text()).toContain('log.txt')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledTimes(1)
    const [url, data, options] = post.mock.calls[0]
    expect(url).toBe('/support/agent/tickets/ESC-1/reply')
    expect(data.body).toBe('We are on it.')
    expect(data.attachments.map((f) => f.name)).toEqual(['log.txt', 'shot.png'])
    expect(options.preserveScroll).toBe(true)
  })

  it('posts an internal note, without files, as {body} to the note URL', async () => {
    const w = mount(ReplyComposer, { props: { replyUrl: '/r', noteUrl: '/n' } })
    await w.find('input[type="radio"][value="note"]').setValue(true)
    expect(w.text()).toContain('only agents see it')
    await w.find('textarea').setValue('Customer is a VIP.')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/n', { body: 'Customer is a VIP.' }, expect.any(Object))
  })

  it('lets a file be removed before sending', async () => {
    const w = mount(ReplyComposer, { props: { replyUrl: '/r' } })
    await w.find('textarea').setValue('x')
    await pickFiles(w.find('input[type="file"]'), [file('a.txt'), file('b.txt')])
    await w.findAll('button').find((b) => b.text().startsWith('Remove') && b.text().includes('a.txt')).trigger('click')
    await w.find('form').trigger('submit')
    expect(post.mock.calls[0][1].attachments.map((f) => f.name)).toEqual(['b.txt'])
  })

  it('offers only the note when the agent may not reply publicly', () => {
    const w = mount(ReplyComposer, { props: { noteUrl: '/n' } })
    expect(w.find('input[type="radio"]').exists()).toBe(false)
    expect(w.text()).toContain('Add note')
  })
})
