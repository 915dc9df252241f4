package auth

import "context"

// sessionRow is the signed-in user's row, read by the session look-up in the same query as
// the session and kept in memory with it, so a signed-in request reads the database at most
// once to know who asks (Service.SessionActor).
type sessionRow struct {
	id                int64
	name, email, role string
	active, loaded    bool
}

type sessionRowKey struct{}

// WithSessionUser returns ctx with room for the session store's look-up to leave the
// session's user in. The web layer adds it before the session is loaded.
func WithSessionUser(ctx context.Context) context.Context {
	return context.WithValue(ctx, sessionRowKey{}, &sessionRow{})
}

func sessionRowIn(ctx context.Context) *sessionRow {
	u, _ := ctx.Value(sessionRowKey{}).(*sessionRow)
	return u
}

// SessionActor is Actor for the user of the request's session: from the row the session
// look-up read with the session when ctx has it (WithSessionUser), else from a query. That row
// may be up to cache.TTL old: a change to the user made through this Service shows at once,
// one made by another process sharing the database within cache.TTL.
func (s *Service) SessionActor(ctx context.Context, userID int64, ip string) (*Actor, error) {
	u := sessionRowIn(ctx)
	if u == nil || !u.loaded || u.id != userID {
		return s.Actor(ctx, userID, ip)
	}
	return s.actorOf(ctx, userID, u.name, u.email, u.role, u.active, ip)
}
