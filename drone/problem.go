package drone

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with a file an operator wrote (the
// configuration, a threat definition, an inventory), said where it is: the
// file, the line, and the setting's path ("framework.categories[2].code").
// Every field but Message may be empty: a check of the framework knows only
// the path, and the loader that read the file adds the file and the line.
type Problem struct {
	// File is the file as named to the loader ("configs/drone.yaml"), or
	// "environment" for an environment variable. Empty when not known.
	File string `json:"file,omitempty"`
	// Line is the 1-based line in File, or 0 when the problem concerns no
	// one line.
	Line int `json:"line,omitempty"`
	// Path is the setting in dotted form ("roles[0].members"), or empty.
	Path string `json:"path,omitempty"`
	// Message says what is wrong, in words meant for the file's author.
	Message string `json:"message"`
}

// String formats the problem as "file:line: path: message", leaving out the
// parts that are empty.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error makes a single Problem usable as an error; it is String.
func (p Problem) Error() string { return p.String() }

// Problems is every problem one load or check found. As an error it reads
// one problem a line.
type Problems []Problem

// Error returns the problems one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
