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
	// Guest marks someone without an account who acts through a guest ticket's magic link.
	// A guest holds no permission and is neither staff nor customer: they may act on the one
	// ticket their token opens (GuestTicketID) and, before it exists, create it.
	Guest bool
	// ContactID is the guest's contact, once known; the audit log and the timeline name it.
	ContactID int64
	// GuestTicketID is the ticket the guest's token opens; 0 while they create one.
	GuestTicketID int64
}

// NewGuest is the actor of a guest acting from the client address ip.
func NewGuest(ip string) *Actor {
	return &Actor{Name: "Guest", Guest: true, IP: ip}
}

// IsGuest reports whether the actor is a guest acting through a magic link.
func (a *Actor) IsGuest() bool { return a != nil && a.Guest }

// ActorContactID returns the contact a guest acts as, or nil for everyone else.
func (a *Actor) ActorContactID() *int64 {
	if !a.IsGuest() || a.ContactID == 0 {
		return nil
	}
	id := a.ContactID
	return &id
}

// System is the actor for work the desk does by itself (rules, schedules). It holds every
// permission and no user id.
func System() *Actor {
	return &Actor{Name: "System", Role: RoleAdmin, Permissions: map[string]bool{"*": true}}
}

// IsCustomer reports whether the actor is a requester rather than staff.
func (a *Actor) IsCustomer() bool { return a != nil && !a.Guest && a.Role == RoleCustomer }

// IsAgent reports whether the actor is staff of any kind (agent, light agent, admin, custom).
func (a *Actor) IsAgent() bool {
	return a != nil && !a.Guest && a.Role != RoleCustomer && a.Role != ""
}

// IsAdmin reports whether the actor has the admin role.
func (a *Actor) IsAdmin() bool { return a != nil && a.Role == RoleAdmin }

// IsLightAgent reports whether the actor may only add internal notes.
func (a *Actor) IsLightAgent() bool { return a != nil && a.Role == RoleLightAgent }

// Can reports whether the actor holds permission p.
func (a *Actor) Can(p string) bool {
	if a == nil || a.Guest || a.Role == RoleCustomer {
		return false
	}
	return a.Permissions["*"] || a.Permissions[p]
}

// PermissionList returns the actor's permissions, or ["*"] for all of them.
func (a *Actor) PermissionList() []string {
	if a == nil || a.Guest {
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
	if a == nil || a.Guest || a.UserID == 0 {
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
