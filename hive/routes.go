package hive

import (
	"fmt"
	"net/url"
)

// routes holds the paths of one API version.
type routes struct {
	createCase, search, createAlert, currentUser string
	status                                       []string
	caseByID, observables, tasks, taskLog        string
	promote                                      string
	// observableSearch finds a case's observables (v1: the query API).
	observableSearch string
	// taskByID updates a task; taskSearch finds a case's tasks (v1: the
	// query API).
	taskByID, taskSearch string
}

func routesFor(api string) routes {
	if api == APIv0 {
		return routes{
			createCase:  "/api/case",
			search:      "/api/case/_search",
			createAlert: "/api/alert",
			currentUser: "/api/user/current",
			status:      []string{"/api/status"},
			caseByID:    "/api/case/%s",
			observables: "/api/case/%s/artifact",
			tasks:       "/api/case/%s/task",
			taskLog:     "/api/case/task/%s/log",
			promote:     "/api/alert/%s/createCase",

			observableSearch: "/api/case/artifact/_search",
			taskByID:         "/api/case/task/%s",
			taskSearch:       "/api/case/task/_search",
		}
	}
	return routes{
		createCase:  "/api/v1/case",
		search:      "/api/v1/query",
		createAlert: "/api/v1/alert",
		currentUser: "/api/v1/user/current",
		status:      []string{"/api/v1/status", "/api/status"},
		caseByID:    "/api/v1/case/%s",
		observables: "/api/v1/case/%s/observable",
		tasks:       "/api/v1/case/%s/task",
		taskLog:     "/api/v1/task/%s/log",
		promote:     "/api/v1/alert/%s/case",

		observableSearch: "/api/v1/query",
		taskByID:         "/api/v1/task/%s",
		taskSearch:       "/api/v1/query",
	}
}

// with fills a route's id, escaped, after checking it is not empty.
func with(route, what, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: empty %s id", ErrInvalidInput, what)
	}
	return fmt.Sprintf(route, url.PathEscape(id)), nil
}
