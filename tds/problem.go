package tds

import (
	"fmt"
	"regexp"
	"strconv"
)

// Problem is one thing wrong with a definition or inventory file, with where it is.
type Problem struct {
	// File is the path of the file as given to the loader.
	File string `json:"file"`
	// Line is the 1-based line of the problem, or 0 when it concerns the whole file.
	Line int `json:"line"`
	// Msg says what is wrong, in words meant for the author of the file.
	Msg string `json:"msg"`
}

// String formats the problem as "file:line: msg" (or "file: msg" without a line).
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error makes a Problem usable as an error; it returns the same text as String.
func (p Problem) Error() string { return p.String() }

// yamlLineRE matches the position yaml.v3 puts in its syntax errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a yaml.v3 parse error into a Problem with the line it names.
func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return Problem{File: file, Msg: "invalid YAML: " + trimYAMLPrefix(msg)}
}

func trimYAMLPrefix(msg string) string {
	const prefix = "yaml: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}
