package hivetest

import "net/http"

func (s *Server) currentUser(api string, w http.ResponseWriter, _ *http.Request) {
	if api == v0 {
		writeJSON(w, http.StatusOK, map[string]any{
			"_id": "~user", "id": s.opts.Login, "name": s.opts.Name, "organisation": s.opts.Organisation,
			"roles": []string{"read", "write", "alert"}, "status": "Ok", "hasKey": true,
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"_id": "~user", "_type": "User", "login": s.opts.Login, "name": s.opts.Name,
		"organisation": s.opts.Organisation, "profile": "analyst", "hasKey": true, "locked": false,
		"type": "Service", "permissions": []string{"manageCase/create", "manageCase/update",
			"manageObservable", "manageTask", "manageAlert/create", "manageAlert/import"},
		"organisations": []map[string]string{{"organisation": s.opts.Organisation, "profile": "analyst"}},
	})
}

// status answers /api/status and /api/v1/status, which need no key.
func (s *Server) status(_ string, w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"versions":   map[string]string{"TheHive": s.opts.Version, "Scalligraph": s.opts.Version},
		"connectors": map[string]any{},
		"config": map[string]any{"authType": []string{"local", "key"},
			"capabilities": []string{"changePassword", "setPassword", "authByKey"}, "ssoAutoLogin": false},
	})
}
