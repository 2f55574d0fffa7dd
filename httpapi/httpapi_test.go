package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttp0/drone/httpapi"
)

func TestCheckURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://hive.example.org:9000":        "",
		"http://127.0.0.1:8080/api":            "",
		"ftp://hive.example.org":               `scheme must be http or https, not "ftp"`,
		"https://":                             "no host",
		"https://user:s3cret@hive.example.org": "must not carry credentials; use api_key",
		"https://hive.example.org/?key=s3cret": "must not carry a query or a fragment",
		"https://hive.example.org/\x7fs3cret":  "not a URL",
	} {
		err := httpapi.CheckURL(raw, "api_key")
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", raw, err, want)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%q: the error repeats the secret: %v", raw, err)
		}
	}
}

func TestTransport(t *testing.T) {
	tr, err := httpapi.Transport("misp", true, "")
	if err != nil || tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.RootCAs != nil {
		t.Fatalf("default transport: %+v, %v", tr, err)
	}
	if tr, err = httpapi.Transport("misp", false, ""); err != nil || !tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("verify_tls false: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := httpapi.Transport("misp", true, bad); err == nil || !strings.HasPrefix(err.Error(), "misp.ca_file: ") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}
