// Keyboard use of a list of row links: j / ArrowDown moves to the next row, k / ArrowUp to
// the previous one, x toggles the focused row's selection. Letters work anywhere on the page
// except while typing; arrows only once focus is on a row, so they still scroll the page
// otherwise.

function isTyping(target) {
  if (!target || !(target instanceof Element)) return false
  const tag = target.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable
}

// visible keeps the links that are laid out; when nothing is (as in a test DOM without
// layout) it keeps them all.
function visible(links) {
  const shown = links.filter((el) => el.getClientRects().length > 0)
  return shown.length ? shown : links
}

export function rowNavHandler(root, { onToggle } = {}) {
  return (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
    if (isTyping(event.target)) return
    const container = root()
    if (!container) return
    const links = visible(Array.from(container.querySelectorAll('[data-row-link]')))
    if (!links.length) return
    const index = links.indexOf(document.activeElement)
    const key = event.key
    let next = null
    if (key === 'j' || (key === 'ArrowDown' && index >= 0)) next = index < 0 ? 0 : Math.min(index + 1, links.length - 1)
    else if (key === 'k' || (key === 'ArrowUp' && index >= 0)) next = index < 0 ? 0 : Math.max(index - 1, 0)
    else if (key === 'x' && index >= 0 && onToggle) {
      event.preventDefault()
      onToggle(links[index].dataset.id)
      return
    }
    if (next === null) return
    event.preventDefault()
    links[next].focus()
  }
}
