package tds_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/tds"
)

func fixedBuilder() tds.Builder {
	return tds.Builder{Now: func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }}
}

// answers is a complete session; comments name the question each line answers.
var answers = strings.Join([]string{
	"usb-exfiltration",    // name
	"1.2",                 // version: invalid, asked again
	"",                    // version: default 0.1.0
	"",                    // licence: default MIT
	"Data copied to USB.", // statement
	"https://attack.mitre.org/techniques/T1052/001/", // references
	"Ana Lyst", // author
	"CAT1 Insider Threat Aftermath; CAT4 Unauthorized Data Handling", // DRONE categories
	"",                                   // surface: empty before the first one, asked again
	"endpoint",                           // surface
	"device",                             // category
	"Files copied to USB",                // event
	"Large copies to removable drives.",  // description
	"Exfiltration",                       // stage
	"host, user, file_name",              // fields
	"T1052.1",                            // techniques: invalid, asked again
	"t1052.001",                          // techniques
	"Device control",                     // observation
	"Device Control Logs, EDR Telemetry", // sensors
	"",                                   // observation fields: the event's
	"",                                   // next observation: finish
	"",                                   // next event: finish
	"network",                            // surface
	"network",                            // category
	"Upload to cloud storage",            // event
	"",                                   // description
	"exfiltration",                       // stage
	"user, url, bytes_out",               // fields
	"T1567.002",                          // techniques
	"Web traffic",                        // observation
	"Web Proxy Logs",                     // sensors
	"user, url",                          // observation fields
}, "\n") // the input ends here: the open lists finish

func TestBuildInteractive(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	th, err := fixedBuilder().Build(strings.NewReader(answers), &out)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, out.String())
	}
	for _, prompt := range []string{"Threat name", `"1.2" is not a semantic version`, "at least one surface is needed",
		`"T1052.1" is not an ATT&CK technique id`, "Definition usb-exfiltration_0.1.0.yml is complete."} {
		if !strings.Contains(out.String(), prompt) {
			t.Errorf("output lacks %q:\n%s", prompt, out.String())
		}
	}
	want := &tds.Threat{
		Name: "usb-exfiltration", Version: "0.1.0", License: "MIT", Statement: "Data copied to USB.",
		References: []string{"https://attack.mitre.org/techniques/T1052/001/"},
		Metadata:   tds.Metadata{CreatedBy: "Ana Lyst", ModifiedBy: "Ana Lyst", CreatedDate: "2026-03-04", ModifiedDate: "2026-03-04"},
		Categories: []tds.CategoryMapping{
			{Category: "CAT1", SubContexts: []string{"Insider Threat Aftermath"}},
			{Category: "CAT4", SubContexts: []string{"Unauthorized Data Handling"}},
		},
		Surfaces: []tds.Surface{
			{Name: "endpoint", Category: "device", Events: []tds.Event{{
				Name: "Files copied to USB", Description: "Large copies to removable drives.", Stage: "exfiltration",
				Metadata: []string{"host", "user", "file_name"}, Techniques: []string{"T1052.001"},
				Observations: []tds.Observation{{Name: "Device control", Sensors: []string{"Device Control Logs", "EDR Telemetry"}}},
			}}},
			{Name: "network", Category: "network", Events: []tds.Event{{
				Name: "Upload to cloud storage", Stage: "exfiltration",
				Metadata: []string{"user", "url", "bytes_out"}, Techniques: []string{"T1567.002"},
				Observations: []tds.Observation{{Name: "Web traffic", Sensors: []string{"Web Proxy Logs"}, Fields: []string{"user", "url"}}},
			}}},
		},
	}
	if !reflect.DeepEqual(th, want) {
		t.Errorf("built\n%+v\nwant\n%+v", th, want)
	}
}

func TestBuildRoundTripAndWriteFile(t *testing.T) {
	t.Parallel()
	th, err := fixedBuilder().Build(strings.NewReader(answers), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := tds.WriteFile(dir, th)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "usb-exfiltration_0.1.0.yml" {
		t.Errorf("path = %s", path)
	}
	back, problems, err := tds.LoadFile(path)
	if err != nil || len(problems) > 0 {
		t.Fatalf("reloading: %v %v", err, problems)
	}
	back.File = ""
	if !reflect.DeepEqual(back, th) {
		t.Errorf("round trip changed the definition:\n%+v\n%+v", back, th)
	}
	if _, err := tds.WriteFile(dir, th); !errors.Is(err, os.ErrExist) {
		t.Errorf("second WriteFile error = %v, want it to refuse to overwrite", err)
	}
}

func TestBuildInputEndsTooEarly(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "name\n", "name\n\n\nstatement\n\n\n\nendpoint\ndevice\n"} {
		_, err := fixedBuilder().Build(strings.NewReader(in), io.Discard)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Build(%q) error = %v, want unexpected EOF", in, err)
		}
	}
}

func TestWriteFileRefusesInvalid(t *testing.T) {
	t.Parallel()
	_, err := tds.WriteFile(t.TempDir(), &tds.Threat{Name: "x", Version: "1"})
	if err == nil || !strings.Contains(err.Error(), `version "1" is not a semantic version`) {
		t.Errorf("error = %v", err)
	}
}
