package hive

import (
	"fmt"
	"strings"
)

// TLP and PAP names (TLP 2.0; WHITE is read as CLEAR).
const (
	TLPClear       = "CLEAR"
	TLPGreen       = "GREEN"
	TLPAmber       = "AMBER"
	TLPAmberStrict = "AMBER+STRICT"
	TLPRed         = "RED"
)

// TLPNumber returns the number TheHive stores for a TLP name under an API
// version. v1 (TheHive 5.2 and later): CLEAR 0, GREEN 1, AMBER 2,
// AMBER+STRICT 3, RED 4. v0 (TheHive 4, TLP 1.0): WHITE/CLEAR 0, GREEN 1,
// AMBER 2, RED 3; AMBER+STRICT becomes AMBER (2) there, because TLP 1.0's
// AMBER already limits sharing to need-to-know inside the recipients'
// organisations, while RED would stop the organisation itself from acting
// on the case. An empty name returns -1: leave TheHive's default.
func TLPNumber(api, name string) (int, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "" {
		return -1, nil
	}
	if n == "WHITE" {
		n = TLPClear
	}
	switch n {
	case TLPClear:
		return 0, nil
	case TLPGreen:
		return 1, nil
	case TLPAmber:
		return 2, nil
	case TLPAmberStrict:
		if api == APIv0 {
			return 2, nil
		}
		return 3, nil
	case TLPRed:
		if api == APIv0 {
			return 3, nil
		}
		return 4, nil
	}
	return -1, fmt.Errorf("%w: unknown TLP %q", ErrInvalidInput, name)
}

// TLPName returns the TLP name of the number TheHive stores under an API
// version, or "" for a number it does not know.
func TLPName(api string, n int) string {
	v1 := []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}
	v0 := []string{TLPClear, TLPGreen, TLPAmber, TLPRed}
	names := v1
	if api == APIv0 {
		names = v0
	}
	if n < 0 || n >= len(names) {
		return ""
	}
	return names[n]
}

// PAPNumber returns the number TheHive stores for a PAP name (the same
// under both versions): CLEAR/WHITE 0, GREEN 1, AMBER 2, RED 3. An empty
// name returns -1: leave TheHive's default.
func PAPNumber(name string) (int, error) {
	switch n := strings.ToUpper(strings.TrimSpace(name)); n {
	case "":
		return -1, nil
	case TLPClear, "WHITE":
		return 0, nil
	case TLPGreen:
		return 1, nil
	case TLPAmber:
		return 2, nil
	case TLPRed:
		return 3, nil
	}
	return -1, fmt.Errorf("%w: unknown PAP %q", ErrInvalidInput, name)
}

// PAPName returns the PAP name of a number, or "" for one it does not know.
func PAPName(n int) string {
	names := []string{TLPClear, TLPGreen, TLPAmber, TLPRed}
	if n < 0 || n >= len(names) {
		return ""
	}
	return names[n]
}
