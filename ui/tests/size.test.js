import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { here } from './helpers.js'

// What a browser downloads to show the agent queue: the entry, the queue page and their
// static imports, with their CSS, gzipped, from the committed build.
function pageWeight(page) {
  const dist = here('../dist')
  const manifest = JSON.parse(readFileSync(`${dist}/.vite/manifest.json`, 'utf8'))
  const keys = new Set()
  const walk = (key) => {
    if (keys.has(key)) return
    keys.add(key)
    for (const i of manifest[key].imports ?? []) walk(i)
  }
  walk('src/main.js')
  walk(page)
  const files = new Set([...keys].flatMap((k) => [manifest[k].file, ...(manifest[k].css ?? [])]))
  let gzip = 0
  for (const f of files) gzip += gzipSync(readFileSync(`${dist}/${f}`)).length
  return { files: files.size, gzip }
}

describe('the committed build', () => {
  it.skipIf(!existsSync(here('../dist/.vite/manifest.json')))('keeps the agent queue under 250 KB gzipped', () => {
    const { files, gzip } = pageWeight('src/pages/Agent/TicketIndex.vue')
    console.log(`agent queue: ${files} files, ${(gzip / 1024).toFixed(1)} KB gzipped`)
    expect(gzip).toBeLessThan(250 * 1024)
  })
})
