package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/ttp0/drone/web"
)

// webIntegration is the web console: the board, the declare form, the
// incident pages and their actions, the leaders' view, the measures,
// Threat Driven Security and the queue, on drone serve's own address. It
// is on unless web.enabled is false. It contributes its routes ("/", the
// most general pattern, so that /healthz, /metrics and the chat adapters'
// routes keep theirs) and runs the loop that follows changes made by any
// process, for the pages' live updates.
func webIntegration(ctx context.Context, a *app) (*integration, error) {
	in := &integration{Name: "Web console", Hint: "set web.enabled to true (or unset DRONE_WEB_ENABLED=false)"}
	cfg := a.cfg.Web.WithDefaults()
	if !cfg.On() {
		return in, nil
	}
	o := web.Options{Service: a.svc, Accounts: a.db, Changes: a.db, Queue: a.db, Org: a.cfg.Organisation,
		SOC: orDefault(a.cfg.SOC.Name, "SOC"), Clocks: a.cfg.Notify.WithDefaults().Regulatory.Clocks,
		TDSHint: "set tds.inventory to your log-source inventory (see configs/inventory.example.yaml and tds/README.md)",
		Config: web.Config{BaseURL: cfg.BaseURL, SecureCookies: cfg.SecureCookies, IdleTimeout: cfg.IdleTimeout,
			SessionLifetime: cfg.SessionLifetime, ViewWindow: cfg.ViewWindow},
		Log: a.log}
	// The library, assessed against the inventory when there is one;
	// without an inventory the console lists the library.
	var err error
	if o.Library, o.Assessment, err = loadAssessment(a); err != nil {
		return nil, err
	}
	console, err := web.New(o)
	if err != nil {
		return nil, err
	}
	a.console = console
	in.Enabled = true
	in.Routes = map[string]http.Handler{"/": console}
	in.Run = console.Run
	return in, nil
}

// announceConsole says where the console is and whom it is open to, and,
// while no account exists, prints the one-time link that creates the
// first administrator. drone serve calls it once it listens.
func (c *cli) announceConsole(ctx context.Context, a *app, addr net.Addr) error {
	if a.console == nil {
		return nil
	}
	base := "http://" + addr.String()
	reach := "reachable from this machine only"
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		reach = "reachable from the network: put it behind TLS (web.base_url https://..., web.secure_cookies)"
	}
	fmt.Fprintf(c.Out, "web console: %s/ (%s)\n", base, reach)
	link, ok, err := a.console.SetupLink(ctx, base)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(c.Out, "no console account yet: create the first administrator within the hour, once, at\n  %s\n"+
			"(or: drone user add NAME --role admin --clearance RED)\n", link)
	}
	return nil
}
