package main

import "context"

// buildIntegrations lists every integration, enabled or not, so that drone
// serve can say which are on and how to turn on the others. Each lives in a
// file of its own (integration_*.go).
func buildIntegrations(ctx context.Context, a *app) ([]*integration, error) {
	builders := []func(context.Context, *app) (*integration, error){
		hiveIntegration, slackIntegration, discordIntegration, notifyIntegration, tdsIntegration,
		webIntegration,
	}
	var out []*integration
	for _, build := range builders {
		in, err := build(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}
