package tds_test

import (
	"fmt"
	"os"

	"github.com/ttp0/drone/tds"
)

// A chat command answers "/drone tds mail-phish" with the threat's summary; an
// incident gets the case tasks and the blind spots.
func ExampleAssessment_Summary() {
	lib, _, err := tds.LoadLibrary(os.DirFS("testdata"), "lib")
	if err != nil {
		panic(err)
	}
	inv, _, err := tds.LoadInventory("testdata/inventory.yaml")
	if err != nil {
		panic(err)
	}
	a := tds.Assess(lib, inv)
	summary, err := a.Summary("Mail-Phish")
	if err != nil {
		panic(err)
	}
	fmt.Print(summary)
	ts, _ := a.Threat("mail-phish")
	for _, task := range ts.CaseTasks() {
		fmt.Println("Task:", task)
	}
	for _, s := range ts.BlindSpots() {
		fmt.Println(s)
	}
	// Output:
	// mail-phish 1.0.0: visibility 0.8/4, 1 of 3 events visible.
	// Scenario: A phishing e-mail leads a user to a fake sign-in page.
	// First visible: exploitation, "Link opened" on network (1.6/4, via Proxy Logs).
	// Blind earlier: "Lure delivered" (delivery): add Phish Reports; improve Secure Gateway: lacks recipient, url; data quality 40%.
	// Surfaces: mail-service 0.7, network 1.6, identity 0.0.
	// Best log source to add: Sign-in Logs (+0.80).
	// Task: Check network: Link opened in Proxy Logs (fields user, url)
	// We cannot see "Lure delivered" on mail-service (delivery). Phish Reports would show it. Secure Gateway is collected but lacks recipient, url; data quality 40%.
	// We cannot see "Harvested password used" on identity (exploitation). Sign-in Logs would show it.
}
