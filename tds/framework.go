package tds

import "github.com/ttp0/drone/drone"

// categories are the DRONE categories definitions are checked against: the
// core's defaults, so that there is one list in drone.
var categories = drone.DefaultFramework().Categories

// findCategory returns the category whose code or name matches s, ignoring
// case and punctuation.
func findCategory(s string) (drone.Category, bool) {
	k := norm(s)
	for _, c := range categories {
		if norm(c.Code) == k || norm(c.Name) == k {
			return c, true
		}
	}
	return drone.Category{}, false
}

// hasSubContext reports whether c has the sub-context s, ignoring case and punctuation.
func hasSubContext(c drone.Category, s string) bool {
	k := norm(s)
	for _, sc := range c.SubContexts {
		if norm(sc) == k {
			return true
		}
	}
	return false
}
