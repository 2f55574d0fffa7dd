package mailbox

import (
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// AuthServer returns the server side of the SASL mechanism mech, PLAIN or
// LOGIN, which checks the username and password with check: the mailbox's
// and the SMTP stand-in's AUTH.
func AuthServer(mech string, check func(username, password string) error) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return newLoginServer(check), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// newLoginServer returns the server side of AUTH LOGIN (the username and
// password asked one after the other), which go-sasl provides only as a
// client; older mail clients and Exchange use it.
func newLoginServer(authenticate func(username, password string) error) sasl.Server {
	return &loginServer{authenticate: authenticate}
}

type loginServer struct {
	authenticate       func(username, password string) error
	username, password string
	step               int
}

// Next asks for the username, then the password, then checks them.
func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		s.step++
		if response == nil {
			return []byte("Username:"), false, nil
		}
		s.username = string(response)
		s.step++
		return []byte("Password:"), false, nil
	case 1:
		s.username = string(response)
		s.step++
		return []byte("Password:"), false, nil
	case 2:
		s.password = string(response)
		s.step++
		return nil, true, s.authenticate(s.username, s.password)
	}
	return nil, true, errors.New("unexpected AUTH LOGIN response")
}
