package auth

import (
	"context"
	"fmt"
)

// CheckPassword reports whether password is the user's current one, for confirming a
// sensitive change of a signed-in user. A user without a password (one the host application
// signs in) never matches.
func (s *Service) CheckPassword(ctx context.Context, userID int64, password string) (bool, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return false, err
	}
	if u.PasswordHash == "" || password == "" || len(password) > 1024 {
		return false, nil
	}
	ok, err := s.hashes.compare(password, u.PasswordHash)
	if err != nil {
		return false, fmt.Errorf("auth: check password of user %d: %w", userID, err)
	}
	return ok, nil
}
