package hive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// User is a TheHive user.
type User struct {
	ID           string
	Login        string
	Name         string
	Organisation string
	Profile      string
}

// ServerInfo is what Check learnt of TheHive.
type ServerInfo struct {
	// User is the user the API key belongs to.
	User User
	// Version is TheHive's version, or "" when TheHive does not tell.
	Version string
	// API is the API version the client speaks.
	API string
}

// Check verifies the URL, the key and the organisation by reading the
// current user, then reads TheHive's version. Its errors say which setting
// to look at.
func (c *Client) Check(ctx context.Context) (*ServerInfo, error) {
	u, err := c.currentUser(ctx)
	if err != nil {
		return nil, c.checkError(err)
	}
	v, err := c.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking TheHive: reading its status: %w", err)
	}
	return &ServerInfo{User: *u, Version: v, API: c.api}, nil
}

func (c *Client) checkError(err error) error {
	ae := asAPIError(err)
	switch {
	case ae == nil:
		return fmt.Errorf("checking TheHive: %w", err)
	case ae.Status == http.StatusUnauthorized && c.org != "":
		return fmt.Errorf("checking TheHive: the API key was refused, or its user is not in organisation %q (hive.api_key, hive.organisation): %w", c.org, err)
	case ae.Status == http.StatusUnauthorized:
		return fmt.Errorf("checking TheHive: the API key was refused (hive.api_key): %w", err)
	case ae.Status == http.StatusForbidden && c.org != "":
		return fmt.Errorf("checking TheHive: organisation %q refused the key's user (hive.organisation): %w", c.org, err)
	case ae.Status == http.StatusNotFound:
		return fmt.Errorf("checking TheHive: no %s API at hive.url (wrong URL, or TheHive 4 needs hive.api: v0): %w", c.api, err)
	}
	return fmt.Errorf("checking TheHive: %w", err)
}

func (c *Client) currentUser(ctx context.Context) (*User, error) {
	path := c.routes.currentUser
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		ID           string `json:"_id"`
		LegacyID     string `json:"id"`
		Login        string `json:"login"`
		Name         string `json:"name"`
		Organisation string `json:"organisation"`
		Profile      string `json:"profile"`
	}
	if err := decode(http.MethodGet, path, resp.body, &w); err != nil {
		return nil, err
	}
	u := &User{ID: first(w.ID, w.LegacyID), Login: w.Login, Name: w.Name, Organisation: w.Organisation, Profile: w.Profile}
	if c.api == APIv0 && u.Login == "" {
		u.Login = w.LegacyID // TheHive 3 and 4 give the login as "id"
	}
	return u, nil
}

// version reads TheHive's status. A route that is missing, or that answers
// something else than JSON (a web front end's page), is skipped.
func (c *Client) version(ctx context.Context) (string, error) {
	for _, path := range c.routes.status {
		resp, err := c.do(ctx, http.MethodGet, path, nil)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		var w struct {
			Versions struct {
				TheHive string `json:"TheHive"`
			} `json:"versions"`
			Version string `json:"version"`
		}
		if json.Unmarshal(resp.body, &w) != nil {
			c.log.DebugContext(ctx, "thehive status is not JSON", "path", path)
			continue
		}
		return first(w.Versions.TheHive, w.Version), nil
	}
	return "", nil
}
