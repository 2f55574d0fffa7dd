package drone

// Authorize returns nil when a holds permission p through a role, and
// otherwise the EFORBIDDEN error that names the roles allowing it, so that an
// adapter can refuse before asking for input (a dialog) that the operation
// would then refuse.
func (s *Service) Authorize(a Actor, p Permission) error {
	if s.Roles.Allows(a, p) {
		return nil
	}
	return s.forbidden(p)
}
