// followersLabel words who follows a ticket: the names the ticket carries (ticket.followers)
// when there are any, else the count, with "you" for the viewer.
export function followersLabel(count, followers, isFollowing) {
  const n = Number(count ?? 0)
  if (!n) return 'Nobody follows this ticket.'
  const names = Array.isArray(followers) ? followers.map((f) => f?.name).filter(Boolean) : []
  if (names.length === n) return `Followed by ${names.join(', ')}.`
  if (isFollowing) return n === 1 ? 'You follow this ticket.' : `You and ${n - 1} other${n === 2 ? '' : 's'} follow this ticket.`
  return `${n} ${n === 1 ? 'person follows' : 'people follow'} this ticket.`
}
