package drone

import (
	"context"
	"time"
)

// Account is a person who signs in to the web console with a password. The
// console acts for them as the Actor {Platform: "web", ID: Name}, so that
// roles name them "web:NAME", or hold them by role name through Roles.
type Account struct {
	// Name is the sign-in name, unique, in lower case.
	Name string `json:"name"`
	// DisplayName is how the timeline names them. Defaults to Name.
	DisplayName string `json:"display_name,omitempty"`
	// PasswordHash is the password's hash in PHC string form
	// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"); never the password.
	PasswordHash string `json:"-"`
	// Roles are the names of drone roles the account holds, and "admin"
	// for console administration (accounts, the queue).
	Roles []string `json:"roles"`
	// Clearance is the highest TLP the account may see: incidents above it
	// are invisible to it.
	Clearance string    `json:"clearance"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RoleAdmin is the account role of console administrators.
const RoleAdmin = "admin"

// Session is a signed-in browser. Only the hash of its id is kept, so that
// a copy of the database signs nobody in.
type Session struct {
	IDHash    string    // hex SHA-256 of the cookie's random id
	Account   string    // the account's name
	CSRF      string    // the token every form of the session carries
	CreatedAt time.Time // the absolute expiry runs from here
	SeenAt    time.Time // the idle expiry runs from here
}

// Accounts keeps the console's accounts and sessions. The SQLite store
// implements it; it is apart from Store so that any store can add it on its own.
type Accounts interface {
	// CreateAccount adds an account; ECONFLICT when the name is taken.
	CreateAccount(ctx context.Context, a Account) error
	// Account returns the account with the given name; ENOTFOUND if none.
	Account(ctx context.Context, name string) (*Account, error)
	// ListAccounts returns every account by name.
	ListAccounts(ctx context.Context) ([]Account, error)
	// SaveAccount writes every field of an existing account; ENOTFOUND if none.
	SaveAccount(ctx context.Context, a Account) error
	// CreateSession records a new session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with the given id hash; ENOTFOUND if none.
	Session(ctx context.Context, idHash string) (*Session, error)
	// TouchSession moves a session's SeenAt forward.
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	// DeleteSessions removes the sessions with the given id hash, or every
	// session of an account when account is set, and those created before
	// createdBefore when it is not zero; it returns how many went.
	DeleteSessions(ctx context.Context, f SessionFilter) (int, error)
}

// SessionFilter selects sessions to delete; set one field or several (all
// must match).
type SessionFilter struct {
	IDHash        string
	Account       string
	CreatedBefore time.Time
	SeenBefore    time.Time
}
