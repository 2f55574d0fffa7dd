// Package yamlfile parses the YAML files operators write (drone's
// configuration, threat definitions, log-source inventories) into node trees,
// and says where a file that is not YAML breaks, as a drone.Problem.
//
// Everything after parsing takes its positions from the nodes (yaml.Node's
// Line and Column). A syntax error is the one exception: yaml.v3 (v3.0.1)
// keeps the line of a syntax error only in the error's text ("yaml: line 3:
// mapping values are not allowed in this context"): its parser formats the
// mark into the message and the error type is unexported. Parse reads that
// text here, in this one place, and TestSyntaxErrorFormat fails if a new
// yaml.v3 changes it.
package yamlfile

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
)

// Parse parses data, the content of file, into a document node. When data
// is not YAML the error is a drone.Problem with the file, the line yaml.v3
// names (0 when it names none) and yaml.v3's words, without their "yaml:"
// and "line N:" prefixes.
func Parse(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := splitSyntaxError(err.Error())
		return nil, drone.Problem{File: file, Line: line, Message: msg}
	}
	return &doc, nil
}

// splitSyntaxError splits yaml.v3's "yaml: line N: message" into N and
// message; an error without a line gives 0 and the message.
func splitSyntaxError(s string) (int, string) {
	s = strings.TrimPrefix(s, "yaml: ")
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s
	}
	num, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, s
	}
	line, err := strconv.Atoi(num)
	if err != nil || line < 0 {
		return 0, s
	}
	return line, msg
}
