package yamlfile

import (
	"errors"
	"testing"

	"github.com/ttp0/drone/drone"
)

// TestSyntaxErrorFormat pins the shape of yaml.v3's syntax errors that Parse
// reads the line from: a new yaml.v3 that words them otherwise fails here.
func TestSyntaxErrorFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		data string
		line int
		msg  string
	}{
		{"name: broken\nsurfaces:\n  - name: x\n   category: y\n", 2, "did not find expected '-' indicator"},
		{"a: b\nc: : d\n", 2, "mapping values are not allowed in this context"},
		{"zones: [A\nfoo: bar\n", 1, "did not find expected ',' or ']'"},
		{"\t- tab\n", 0, "found character that cannot start any token"},
	}
	for _, c := range cases {
		_, err := Parse("f.yaml", []byte(c.data))
		var p drone.Problem
		if !errors.As(err, &p) {
			t.Fatalf("Parse(%q) = %v, want a drone.Problem", c.data, err)
		}
		if p.File != "f.yaml" || p.Line != c.line || p.Message != c.msg || p.Path != "" {
			t.Errorf("Parse(%q) = %#v, want line %d %q", c.data, p, c.line, c.msg)
		}
	}
}

func TestSplitSyntaxError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"yaml: line 12: did not find expected key", 12, "did not find expected key"},
		{"yaml: control characters are not allowed", 0, "control characters are not allowed"},
		{"yaml: line x: odd", 0, "line x: odd"},
		{"yaml: line 3", 0, "line 3"},
		{"something else", 0, "something else"},
	}
	for _, c := range cases {
		if line, msg := splitSyntaxError(c.in); line != c.line || msg != c.msg {
			t.Errorf("splitSyntaxError(%q) = %d, %q; want %d, %q", c.in, line, msg, c.line, c.msg)
		}
	}
}

func TestParseGivesTheDocument(t *testing.T) {
	t.Parallel()
	doc, err := Parse("f.yaml", []byte("a: 1\nb: [x]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Content[2].Line != 2 {
		t.Errorf("document %#v", doc)
	}
}
