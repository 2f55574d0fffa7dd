package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/ttp0/drone/config"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/tds"
	"github.com/ttp0/drone/web"
)

// webConsole is the web console: the board, the declare form, the
// incident pages and their actions, the leaders' view, the measures,
// Threat Driven Security and the queue, on drone serve's own address. It
// is on unless web.enabled is false. It contributes its routes ("/", the
// most general pattern, so that /healthz, /metrics and the chat adapters'
// routes keep theirs) and runs the loop that follows changes made by any
// process, for the pages' live updates. Its accounts, change feed and
// queue are the database's, which is why it is built here.
func webConsole(a *app) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Web console", "set web.enabled to true (or unset DRONE_WEB_ENABLED=false)")
		cfg := a.cfg.Web.WithDefaults()
		if !cfg.On() {
			return in, nil
		}
		o := web.Options{Service: env.Service, Accounts: a.db, Changes: a.db, Queue: a.db, Org: a.cfg.Organisation,
			SOC: orDefault(a.cfg.SOC.Name, "SOC"), Clocks: a.cfg.Notify.Regulatory.Clocks,
			TDSHint: "set tds.inventory to your log-source inventory (see configs/inventory.example.yaml and tds/README.md)",
			Config: web.Config{BaseURL: cfg.BaseURL, SecureCookies: cfg.SecureCookies, IdleTimeout: cfg.IdleTimeout,
				SessionLifetime: cfg.SessionLifetime, ViewWindow: cfg.ViewWindow, OIDC: oidcConfig(cfg.OIDC)},
			Log: env.Log}
		// The library, assessed against the inventory when there is one;
		// without an inventory the console lists the library.
		var err error
		if o.Library, o.Assessment, err = tds.LoadAssessment(a.cfg.TDS); err != nil {
			return nil, err
		}
		console, err := web.New(o)
		if err != nil {
			return nil, err
		}
		in.Enabled = true
		in.Routes = map[string]http.Handler{"/": console}
		in.Run = console.Run
		in.Started = func(ctx context.Context, addr net.Addr, out io.Writer) error {
			return announceConsole(ctx, console, addr, out)
		}
		return in, nil
	}
}

// announceConsole says where the console is and whom it is open to, and,
// while no account exists, prints the one-time link that creates the
// first administrator.
func announceConsole(ctx context.Context, console *web.Console, addr net.Addr, out io.Writer) error {
	base := "http://" + addr.String()
	reach := "reachable from this machine only"
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		reach = "reachable from the network: put it behind TLS (web.base_url https://..., web.secure_cookies)"
	}
	fmt.Fprintf(out, "web console: %s/ (%s)\n", base, reach)
	link, ok, err := console.SetupLink(ctx, base)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(out, "no console account yet: create the first administrator within the hour, once, at\n  %s\n"+
			"(or: drone user add NAME --role admin --clearance RED)\n", link)
	}
	return nil
}

// oidcConfig is web.oidc as the console takes it.
func oidcConfig(o config.OIDC) web.OIDC {
	return web.OIDC{Issuer: o.Issuer, Name: o.Name, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: o.RedirectURL, Scopes: o.Scopes, NameClaim: o.Claims.Name, DisplayNameClaim: o.Claims.DisplayName,
		RolesClaim: o.Claims.Roles, Roles: o.Roles, ClearanceClaim: o.Claims.Clearance, Clearances: o.Clearances,
		DefaultClearance: o.DefaultClearance}
}
