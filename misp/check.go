package misp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ServerInfo is what Check learnt of MISP.
type ServerInfo struct {
	Version      string
	User         string // the key's user (e-mail)
	Organisation string
	Role         string
	PermSighting bool // the role may add sightings
	PermAdd      bool // the role may create events
}

// Check verifies the URL and the key by reading MISP's version and the
// key's user. Its errors say which setting to look at.
func (c *Client) Check(ctx context.Context) (*ServerInfo, error) {
	var v struct {
		Version      string `json:"version"`
		PermSighting bool   `json:"perm_sighting"`
	}
	if err := c.do(ctx, http.MethodGet, "/servers/getVersion", nil, &v); err != nil {
		return nil, c.checkError(err)
	}
	if v.Version == "" {
		return nil, errors.New("checking MISP: /servers/getVersion answered without a version: is misp.url MISP?")
	}
	var me struct {
		User struct {
			Email string `json:"email"`
		} `json:"User"`
		Role struct {
			Name         string `json:"name"`
			PermAdd      bool   `json:"perm_add"`
			PermSighting bool   `json:"perm_sighting"`
		} `json:"Role"`
		Organisation struct {
			Name string `json:"name"`
		} `json:"Organisation"`
	}
	if err := c.do(ctx, http.MethodGet, "/users/view/me", nil, &me); err != nil {
		return nil, c.checkError(err)
	}
	return &ServerInfo{Version: v.Version, User: me.User.Email, Organisation: me.Organisation.Name,
		Role: me.Role.Name, PermSighting: me.Role.PermSighting || v.PermSighting, PermAdd: me.Role.PermAdd}, nil
}

func (c *Client) checkError(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("checking MISP: cannot reach misp.url: %w", err)
	}
	switch ae.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("checking MISP: the key was refused (misp.key; an automation key of an enabled user): %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("checking MISP: no MISP API at misp.url (wrong URL or path prefix?): %w", err)
	}
	return fmt.Errorf("checking MISP: %w", err)
}
