package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// processRun is one tool timed as a whole process, the way an analyst runs
// it: start, read the input file, extract, print every indicator, exit.
type processRun struct {
	Seconds    float64 // wall clock, start to exit
	CPUSeconds float64 // user+system of the process
	PeakKB     int64
	OutLines   int // lines written to standard output
}

// lineCounter counts the lines written to it, as the reader of a pipe.
type lineCounter struct{ n int }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// runProcess runs name args once with stdin from the file in (when not
// empty), standard output through a pipe whose lines are counted, and
// standard error discarded.
func runProcess(ctx context.Context, in string, name string, args ...string) (processRun, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return processRun{}, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var lines lineCounter
	var errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &lines, &limited{w: &errOut, n: 4096}
	start := time.Now()
	err := cmd.Run()
	r := processRun{Seconds: time.Since(start).Seconds(), OutLines: lines.n}
	if err != nil {
		return r, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakKB = ru.Maxrss
		r.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return r, nil
}

// limited keeps the first n bytes written to it and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(l.n, len(p))
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// processes is the whole-process comparison on one input file.
type processes struct {
	size         int
	ours, theirs processRun
}

// measureProcesses times `drone ioc extract FILE` and `ioc-extractor <
// FILE` as whole processes on the same file, taking turns for c.rounds
// rounds and keeping each one's best.
func measureProcesses(ctx context.Context, c config, docs []string) (processes, error) {
	var p processes
	f, err := os.CreateTemp("", "ioc-process-*.txt")
	if err != nil {
		return p, err
	}
	defer os.Remove(f.Name())
	text := strings.Join(docs, "\n")
	if _, err := f.WriteString(text); err != nil {
		return p, err
	}
	if err := f.Close(); err != nil {
		return p, err
	}
	p.size = len(text)
	for range c.rounds {
		ours, err := runProcess(ctx, "", c.drone, "ioc", "extract", f.Name())
		if err != nil {
			return p, err
		}
		theirs, err := runProcess(ctx, f.Name(), c.node, c.theirsCLI)
		if err != nil {
			return p, err
		}
		p.ours, p.theirs = bestProcess(p.ours, ours), bestProcess(p.theirs, theirs)
	}
	return p, nil
}

func bestProcess(a, b processRun) processRun {
	if a.Seconds == 0 {
		return b
	}
	a.Seconds, a.CPUSeconds = min(a.Seconds, b.Seconds), min(a.CPUSeconds, b.CPUSeconds)
	a.PeakKB = max(a.PeakKB, b.PeakKB)
	return a
}

func reportProcesses(out io.Writer, c config, p processes) {
	fmt.Fprintf(out, "whole process on the generated mix as one %.2f MB file, best of %d rounds:\n", float64(p.size)/1e6, c.rounds)
	fmt.Fprintf(out, "  %-46s %12s %14s %8s\n", "", "drone", "ioc-extractor", "ratio")
	fmt.Fprintf(out, "  %-46s %12.3f %14.3f %7.1fx\n", "wall clock, start to exit (s)", p.ours.Seconds, p.theirs.Seconds, p.theirs.Seconds/p.ours.Seconds)
	fmt.Fprintf(out, "  %-46s %12.3f %14.3f %7.1fx\n", "CPU time, user+system (s)", p.ours.CPUSeconds, p.theirs.CPUSeconds, p.theirs.CPUSeconds/p.ours.CPUSeconds)
	fmt.Fprintf(out, "  %-46s %12.1f %14.1f\n", "peak RSS (MB)", float64(p.ours.PeakKB)/1024, float64(p.theirs.PeakKB)/1024)
	fmt.Fprintf(out, "  %-46s %12d %14d\n", "lines of output", p.ours.OutLines, p.theirs.OutLines)
}
