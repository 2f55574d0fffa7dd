// Command iocbench compares drone's IoC extractor (package drone/ioc) with
// the npm package ioc-extractor: throughput and peak memory on a generated
// corpus of at least 5 MB, and precision and recall on the labelled corpus.
// With -drone, it also times `drone ioc extract` and ioc-extractor's
// command line as whole processes on the same file, start to exit.
// Run it through run.sh, which installs ioc-extractor and builds drone first.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "iocbench:", err)
		os.Exit(1)
	}
}

type config struct {
	node, nodeScript, corpus, child, keep string
	drone, theirsCLI                      string
	size                                  int
	seed                                  uint64
	passes, rounds                        int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("iocbench", flag.ContinueOnError)
	fs.StringVar(&c.node, "node", "node", "the node executable")
	fs.StringVar(&c.nodeScript, "script", "bench/ioc/extract.cjs", "the node driver of ioc-extractor")
	fs.StringVar(&c.corpus, "labelled", ioctest.CorpusPath(), "the labelled corpus (JSON lines)")
	fs.IntVar(&c.size, "size", 5<<20, "size of the generated corpus in bytes")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated corpus")
	fs.IntVar(&c.passes, "passes", 3, "timed passes over a corpus (after one warm-up pass)")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds of measurement, the tools taking turns; the best counts")
	fs.StringVar(&c.keep, "keep", "", "also write the generated corpus to this file")
	fs.StringVar(&c.drone, "drone", "", "the drone executable, for the whole-process comparison (skipped when empty)")
	fs.StringVar(&c.theirsCLI, "cli", "bench/ioc/node_modules/ioc-extractor/dist/bin/ioc-extractor.mjs",
		"ioc-extractor's command line, run by node for the whole-process comparison")
	fs.StringVar(&c.child, "child", "", "internal: measure drone's extractor on this corpus file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.child != "" {
		return measureOurs(c.child, c.passes, out)
	}
	return compare(ctx, c, out)
}

// throughput is what a measuring child prints: bytes scanned over all
// timed passes, the time they took, and the indicators found (a check that
// both did the work).
type throughput struct {
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`     // wall clock
	CPUSeconds float64 `json:"cpu_seconds"` // user+system of the whole process, all threads
	Found      int     `json:"found"`
	PeakKB     int64   `json:"-"`
}

func (t throughput) mbps() float64    { return float64(t.Bytes) / 1e6 / t.Seconds }
func (t throughput) cpuMBps() float64 { return float64(t.Bytes) / 1e6 / t.CPUSeconds }

// cpuTime is the user and system time this process has used.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// measureOurs is the child process that times drone's extractor, so that
// its peak RSS is its own.
func measureOurs(path string, passes int, out io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	docs := strings.Split(string(data), docSep)
	var e ioc.Extractor
	for _, d := range docs { // warm-up, as node gets for its JIT
		e.Extract(d)
	}
	var t throughput
	start, cpu := time.Now(), cpuTime()
	for range passes {
		for _, d := range docs {
			t.Found += len(e.Extract(d).Indicators)
			t.Bytes += int64(len(d))
		}
	}
	t.Seconds, t.CPUSeconds = time.Since(start).Seconds(), cpuTime()-cpu
	return json.NewEncoder(out).Encode(t)
}

// measure runs a measuring child and reads its result and peak RSS.
func measure(ctx context.Context, name string, args ...string) (throughput, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return throughput{}, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	var t throughput
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%s: %w: %s", name, err, b)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.PeakKB = ru.Maxrss // kilobytes on Linux
	}
	return t, nil
}

// corpusRun is one corpus measured with both tools.
type corpusRun struct {
	name         string
	size         int
	docs         int
	ours, theirs throughput
}

func compare(ctx context.Context, c config, out io.Writer) error {
	cases, err := ioctest.LoadCorpus(c.corpus)
	if err != nil {
		return err
	}
	mixed := newGen(c.seed, cases).corpus(c.size)
	if c.keep != "" {
		if err := os.WriteFile(c.keep, []byte(strings.Join(mixed, docSep)), 0o644); err != nil {
			return err
		}
	}
	runs := []*corpusRun{
		{name: fmt.Sprintf("generated mix (seed %d)", c.seed)},
		{name: "labelled texts only"},
	}
	for i, docs := range [][]string{mixed, dense(cases, c.size/2)} {
		if err := measureBoth(ctx, c, runs[i], docs); err != nil {
			return err
		}
	}
	var procs *processes
	if c.drone != "" {
		p, err := measureProcesses(ctx, c, mixed)
		if err != nil {
			return err
		}
		procs = &p
	}
	q, err := quality(ctx, c, cases)
	if err != nil {
		return err
	}
	report(out, c, runs, q, len(cases))
	if procs != nil {
		fmt.Fprintln(out)
		reportProcesses(out, c, *procs)
	}
	return nil
}

// measureBoth writes docs to a file and times both tools on it, each in a
// process of its own so that peak RSS is the tool's.
func measureBoth(ctx context.Context, c config, r *corpusRun, docs []string) error {
	f, err := os.CreateTemp("", "ioc-corpus-*.txt")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	text := strings.Join(docs, docSep)
	if _, err := f.WriteString(text); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	r.size, r.docs = len(text), len(docs)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The tools take turns, and each keeps its best round: on a shared
	// machine, load that comes and goes would otherwise decide the ratio.
	for range c.rounds {
		ours, err := measure(ctx, self, "-child", f.Name(), "-passes", fmt.Sprint(c.passes))
		if err != nil {
			return err
		}
		theirs, err := measure(ctx, c.node, c.nodeScript, "throughput", f.Name(), fmt.Sprint(c.passes))
		if err != nil {
			return err
		}
		r.ours, r.theirs = best(r.ours, ours), best(r.theirs, theirs)
	}
	return nil
}

// best keeps the shortest times of two rounds, and the higher peak RSS.
func best(a, b throughput) throughput {
	if a.Seconds == 0 {
		return b
	}
	a.Seconds, a.CPUSeconds = min(a.Seconds, b.Seconds), min(a.CPUSeconds, b.CPUSeconds)
	a.PeakKB = max(a.PeakKB, b.PeakKB)
	return a
}

func report(out io.Writer, c config, runs []*corpusRun, q qualities, ncases int) {
	fmt.Fprintf(out, "best of %d rounds, tools taking turns; each round one process per tool and corpus,\n"+
		"%d timed passes after a warm-up pass; peak RSS is the highest of the rounds\n", c.rounds, c.passes)
	fmt.Fprintf(out, "\n%-48s %12s %14s %8s\n", "", "drone/ioc", "ioc-extractor", "ratio")
	for _, r := range runs {
		title := fmt.Sprintf("%s: %.2f MB, %d docs", r.name, float64(r.size)/1e6, r.docs)
		fmt.Fprintf(out, "%s\n", title)
		fmt.Fprintf(out, "  %-46s %12.1f %14.1f %7.1fx\n", "throughput, wall clock (MB/s)", r.ours.mbps(), r.theirs.mbps(), r.ours.mbps()/r.theirs.mbps())
		fmt.Fprintf(out, "  %-46s %12.1f %14.1f %7.1fx\n", "throughput per CPU second, all threads (MB/s)", r.ours.cpuMBps(), r.theirs.cpuMBps(),
			r.ours.cpuMBps()/r.theirs.cpuMBps())
		fmt.Fprintf(out, "  %-46s %12.1f %14.1f %7.2fx\n", "peak RSS (MB)", float64(r.ours.PeakKB)/1024, float64(r.theirs.PeakKB)/1024,
			float64(r.ours.PeakKB)/float64(r.theirs.PeakKB))
		fmt.Fprintf(out, "  %-46s %12d %14d\n", "indicators found per pass", r.ours.Found/c.passes, r.theirs.Found/c.passes)
	}
	fmt.Fprintf(out, "\nlabelled corpus: %d cases, %d labelled indicators (precision / recall)\n", ncases, q.oursAll.TP+q.oursAll.FN)
	row := func(name string, a, b ioctest.Score) {
		fmt.Fprintf(out, "  %-46s %5.3f / %5.3f  %5.3f / %5.3f\n", name, a.Precision(), a.Recall(), b.Precision(), b.Recall())
	}
	row("all types", q.oursAll, q.theirsAll)
	row("types both extract", q.oursShared, q.theirsShared)
	fmt.Fprintf(out, "\nioc-extractor false positives on shared types (first 12 of %d):\n", len(q.theirsShared.FPs))
	for i, m := range q.theirsShared.FPs {
		if i == 12 {
			break
		}
		fmt.Fprintf(out, "  %-14s %-7s %q\n", m.Case, m.Type, m.Value)
	}
	fmt.Fprintf(out, "drone/ioc false positives: %d, false negatives: %d\n", len(q.oursAll.FPs), len(q.oursAll.FNs))
	for _, m := range q.oursAll.FPs {
		fmt.Fprintf(out, "  FP %-14s %-7s %q\n", m.Case, m.Type, m.Value)
	}
	for _, m := range q.oursAll.FNs {
		fmt.Fprintf(out, "  FN %-14s %-7s %q\n", m.Case, m.Type, m.Value)
	}
}
