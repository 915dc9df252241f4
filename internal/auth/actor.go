package auth

// Actor is whoever performs an operation: a signed-in user, a token's owner, or the system.
type Actor struct {
	UserID int64
	Name   string
	Email  string
	Role   string
	// Permissions holds the permission slugs the actor has; "*" grants all of them.
	Permissions map[string]bool
	// IP is the client address, recorded in the audit log.
	IP string
	// TokenID is the API token the actor authenticated with; 0 for a session or the system.
	TokenID int64
}

// System is the actor for work the desk does by itself (rules, schedules). It holds every
// permission and no user id.
func System() *Actor {
	return &Actor{Name: "System", Role: RoleAdmin, Permissions: map[string]bool{"*": true}}
}

// IsCustomer reports whether the actor is a requester rather than staff.
func (a *Actor) IsCustomer() bool { return a != nil && a.Role == RoleCustomer }

// IsAgent reports whether the actor is staff of any kind (agent, light agent, admin, custom).
func (a *Actor) IsAgent() bool { return a != nil && a.Role != RoleCustomer && a.Role != "" }

// IsAdmin reports whether the actor has the admin role.
func (a *Actor) IsAdmin() bool { return a != nil && a.Role == RoleAdmin }

// IsLightAgent reports whether the actor may only add internal notes.
func (a *Actor) IsLightAgent() bool { return a != nil && a.Role == RoleLightAgent }

// Can reports whether the actor holds permission p.
func (a *Actor) Can(p string) bool {
	if a == nil || a.Role == RoleCustomer {
		return false
	}
	return a.Permissions["*"] || a.Permissions[p]
}

// PermissionList returns the actor's permissions, or ["*"] for all of them.
func (a *Actor) PermissionList() []string {
	if a == nil {
		return []string{}
	}
	if a.Permissions["*"] {
		return []string{"*"}
	}
	out := make([]string, 0, len(a.Permissions))
	for _, p := range Permissions {
		if a.Permissions[p] {
			out = append(out, p)
		}
	}
	return out
}

// ActorID returns the user id for foreign keys, or nil for the system.
func (a *Actor) ActorID() *int64 {
	if a == nil || a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// ClientIP returns the address the actor acts from, for the audit log.
func (a *Actor) ClientIP() string {
	if a == nil {
		return ""
	}
	return a.IP
}
