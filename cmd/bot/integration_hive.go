package main

import "context"

// hiveIntegration keeps TheHive in sync with drone's incidents.
func hiveIntegration(ctx context.Context, a *app) (*integration, error) {
	return &integration{Name: "TheHive", Enabled: false,
		Hint: "set hive.url and hive.api_key (or DRONE_HIVE_URL and DRONE_HIVE_API_KEY)"}, nil
}
