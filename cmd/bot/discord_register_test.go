package main

import (
	"strings"
	"testing"
)

func TestDiscordRegister(t *testing.T) {
	t.Parallel()
	e := newDiscordEnv(t, "gateway")
	out, errOut, code := e.run("", "discord", "register")
	if code != 0 || !strings.Contains(out, "registered 3 commands in guild "+e.guild) || !strings.Contains(out, `"Add to timeline" on messages`) ||
		!strings.Contains(out, "/drone (16 subcommands)") || !strings.Contains(out, `"Add indicators to incident" on messages`) {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	declare := e.dc.Commands(e.guild)[0].Options[0]
	var zone []string
	for _, o := range declare.Options {
		if o.Name == "zone" {
			for _, c := range o.Choices {
				zone = append(zone, c.Name)
			}
		}
	}
	if strings.Join(zone, ",") != "DC-1,DC-2" {
		t.Errorf("the zones of the configuration are the choices: %v", zone)
	}
	// The commands of the integrations turned on are registered too (the
	// post-incident review's review is always on: 16 with the core's 15).
	e.vars["DRONE_TDS_INVENTORY"] = "../../configs/inventory.example.yaml"
	if out, errOut, code = e.run("", "discord", "register"); code != 0 || !strings.Contains(out, "/drone (17 subcommands)") {
		t.Errorf("register with Threat Driven Security on: exit %d\n%s%s", code, out, errOut)
	}
	delete(e.vars, "DRONE_TDS_INVENTORY")
	if out, errOut, code = e.run("", "discord", "register", "--global"); code != 0 || !strings.Contains(out, "globally") || len(e.dc.Commands("")) != 3 {
		t.Errorf("register --global: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code = e.run("", "discord", "register", "--global", "--guild", "1"); code != 2 {
		t.Errorf("--global with --guild: exit %d %s", code, errOut)
	}
	e.vars["DISCORD_BOT_TOKEN"] = "not-the-token"
	if _, errOut, code = e.run("", "discord", "register"); code != 1 || !strings.Contains(errOut, "401") || strings.Contains(errOut, "not-the-token") {
		t.Errorf("a refused token: exit %d %s", code, errOut)
	}
	e.vars["DISCORD_BOT_TOKEN"] = "" // set, empty: Discord off
	if _, errOut, code = e.run("", "discord", "register"); code != 2 || !strings.Contains(errOut, "no Discord application is configured") {
		t.Errorf("without a token: exit %d %s", code, errOut)
	}
}
