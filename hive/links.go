package hive

import "net/url"

// CaseURL returns the address of a case in TheHive's web interface.
func (c *Client) CaseURL(id string) string {
	if c.api == APIv0 {
		return c.base + "/index.html#!/case/" + url.PathEscape(id) + "/details"
	}
	return c.base + "/cases/" + url.PathEscape(id) + "/details"
}
