package drone_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line  string
		name  string
		ref   int64
		args  []string
		flags map[string]string
	}{
		{"/drone ack INC-3", "ack", 3, nil, nil},
		{"ioc inc-12 1.2.3.4, evil.com", "ioc", 12, []string{"1.2.3.4,", "evil.com"}, nil},
		{`declare cat=CAT1 sev=high overview="two words"`, "declare", 0, nil, map[string]string{"cat": "CAT1", "sev": "high", "overview": "two words"}},
		{`declare --category CAT1 --overview “smart quotes”`, "declare", 0, nil, map[string]string{"category": "CAT1", "overview": "smart quotes"}},
		{"status INC-4 contained next=2h", "status", 4, []string{"contained"}, map[string]string{"next": "2h"}},
		{"ioc http://x.example/?a=b", "ioc", 0, []string{"http://x.example/?a=b"}, nil},
		{"  ", "", 0, nil, nil},
		{"ls all", "list", 0, []string{"all"}, nil},
	}
	for _, c := range cases {
		got, err := drone.ParseCommand(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got.Name != c.name || got.Ref != c.ref || strings.Join(got.Args, "|") != strings.Join(c.args, "|") {
			t.Errorf("%q: got %q ref %d args %q", c.line, got.Name, got.Ref, got.Args)
		}
		for k, v := range c.flags {
			if got.Flags[k] != v {
				t.Errorf("%q: flag %s=%q, want %q", c.line, k, got.Flags[k], v)
			}
		}
	}
	for _, bad := range []string{"fly INC-1", `declare overview="unclosed`} {
		if _, err := drone.ParseCommand(bad); drone.ErrorCode(err) != drone.EINVALID {
			t.Errorf("%q: %v, want EINVALID", bad, err)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/drone ack INC-3", `declare cat=CAT1 overview="x y"`, "ioc INC-1 hxxp://a[.]b", "status --next 2h", "“", "lead INC-9 <@U123>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := drone.ParseCommand(line)
		if err != nil {
			if drone.ErrorCode(err) != drone.EINVALID {
				t.Fatalf("%q: error without EINVALID: %v", line, err)
			}
			return
		}
		if cmd.Name != "" {
			if _, ok := drone.LookupCommand(cmd.Name); !ok {
				t.Fatalf("%q: parsed unknown command %q", line, cmd.Name)
			}
		}
		if cmd.Ref < 0 {
			t.Fatalf("%q: negative reference", line)
		}
	})
}

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	h := drone.Help("")
	for _, c := range drone.Commands {
		if !strings.Contains(h, c.Name) {
			t.Errorf("help lacks %s", c.Name)
		}
	}
	if !strings.Contains(drone.Help("ioc"), "ioc [INC-n] TEXT") {
		t.Errorf("help ioc: %s", drone.Help("ioc"))
	}
}
