package hive

import "testing"

func TestFailureDataKeepsWhatTheHiveSent(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"data":"192.0.2.2"}`:                        "192.0.2.2",
		`{"data": 7}`:                                 "7",
		`{"data": ["a", "b"]}`:                        `["a", "b"]`,
		`{"data":null,"attachment":{"name":"x.eml"}}`: "x.eml",
		`{"attachment":{"name":"y.eml"}}`:             "y.eml",
		`{}`:                                          "",
		`[1, 2]`:                                      "",
		`{"data":"\u00e9t\u00e9","attachment":null}`: "été",
	} {
		if got := failureData([]byte(raw)); got != want {
			t.Errorf("failureData(%s) = %q, want %q", raw, got, want)
		}
	}
}
