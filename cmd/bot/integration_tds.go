package main

import "context"

// tdsIntegration is off until its issue lands.
func tdsIntegration(ctx context.Context, a *app) (*integration, error) {
	return &integration{Name: "Threat Driven Security", Enabled: false, Hint: "set tds.inventory to your log-source inventory (see configs/inventory.example.yaml)"}, nil
}
