package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebSection(t *testing.T) {
	t.Parallel()
	c, err := Parse("", nil, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if !c.Web.On() || c.Web.WithDefaults().IdleTimeout != 30*time.Minute || c.Web.WithDefaults().SessionLifetime != 12*time.Hour {
		t.Fatalf("defaults: %+v", c.Web)
	}
	env := map[string]string{"DRONE_WEB_ENABLED": "false", "DRONE_WEB_IDLE_TIMEOUT": "10m", "DRONE_WEB_SECURE_COOKIES": "true"}
	c, err = Parse("drone.yaml", []byte("web:\n  base_url: https://drone.example.org\n"), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Web.On() || c.Web.IdleTimeout != 10*time.Minute || !c.Web.SecureCookies || c.Web.BaseURL != "https://drone.example.org" {
		t.Fatalf("from file and environment: %+v", c.Web)
	}
	_, err = Parse("drone.yaml", []byte("web:\n  enabled: true\n  base_url: drone.example.org\n  idle_timeout: 13h\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "web.base_url") || !strings.Contains(err.Error(), "web.idle_timeout") {
		t.Fatalf("problems = %v", err)
	}
}
