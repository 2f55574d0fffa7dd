package drone

import (
	"errors"
	"fmt"
)

// Error codes. Each edge (command line, chat adapter, HTTP) maps them once to
// its own way of saying it: an exit status, an ephemeral message, a status code.
const (
	EINVALID   = "invalid"   // the input is wrong; the message says what is allowed
	ENOTFOUND  = "not_found" // no such incident or value
	ECONFLICT  = "conflict"  // the state forbids it (closing a closed incident)
	EFORBIDDEN = "forbidden" // the actor lacks the role
	EINTERNAL  = "internal"  // anything else; the message is generic
)

// Error is an error whose Message is safe and useful to show to the person who
// caused it; Err, when set, is the internal cause kept for the log.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the text to show a user: the message of an *Error, or a
// generic sentence for internal errors, whose details belong in the log.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Code != EINTERNAL:
		return e.Message
	default:
		return "Internal error: the details are in drone's log."
	}
}
