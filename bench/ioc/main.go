// Command iocbench compares drone's IoC extractor (package drone/ioc) with
// the npm package ioc-extractor: throughput and peak memory on a generated
// corpus of at least 5 MB, and precision and recall on the labelled corpus.
// Run it through run.sh, which installs ioc-extractor first.
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
	size                                  int
	seed                                  uint64
	passes                                int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("iocbench", flag.ContinueOnError)
	fs.StringVar(&c.node, "node", "node", "the node executable")
	fs.StringVar(&c.nodeScript, "script", "bench/ioc/extract.cjs", "the node driver of ioc-extractor")
	fs.StringVar(&c.corpus, "labelled", ioctest.CorpusPath(), "the labelled corpus (JSON lines)")
	fs.IntVar(&c.size, "size", 5<<20, "size of the generated corpus in bytes")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated corpus")
	fs.IntVar(&c.passes, "passes", 3, "timed passes over the generated corpus (after one warm-up pass)")
	fs.StringVar(&c.keep, "keep", "", "also write the generated corpus to this file")
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
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Found   int     `json:"found"`
	PeakKB  int64   `json:"-"`
}

func (t throughput) mbps() float64 { return float64(t.Bytes) / 1e6 / t.Seconds }

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
	start := time.Now()
	for range passes {
		for _, d := range docs {
			t.Found += len(e.Extract(d).Indicators)
			t.Bytes += int64(len(d))
		}
	}
	t.Seconds = time.Since(start).Seconds()
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

func compare(ctx context.Context, c config, out io.Writer) error {
	cases, err := ioctest.LoadCorpus(c.corpus)
	if err != nil {
		return err
	}
	docs := newGen(c.seed, cases).corpus(c.size)
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
	if c.keep != "" {
		if err := os.WriteFile(c.keep, []byte(text), 0o644); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated corpus: %.2f MB in %d documents (seed %d); %d timed passes after a warm-up\n",
		float64(len(text))/1e6, len(docs), c.seed, c.passes)
	ours, err := measure(ctx, self, "-child", f.Name(), "-passes", fmt.Sprint(c.passes))
	if err != nil {
		return err
	}
	theirs, err := measure(ctx, c.node, c.nodeScript, "throughput", f.Name(), fmt.Sprint(c.passes))
	if err != nil {
		return err
	}
	q, err := quality(ctx, c, cases)
	if err != nil {
		return err
	}
	report(out, ours, theirs, q, len(cases))
	return nil
}

func report(out io.Writer, ours, theirs throughput, q qualities, ncases int) {
	fmt.Fprintf(out, "\n%-26s %12s %12s %8s\n", "", "drone/ioc", "ioc-extractor", "ratio")
	fmt.Fprintf(out, "%-26s %12.1f %12.1f %7.1fx\n", "throughput (MB/s)", ours.mbps(), theirs.mbps(), ours.mbps()/theirs.mbps())
	fmt.Fprintf(out, "%-26s %12.1f %12.1f %7.2fx\n", "peak RSS (MB)", float64(ours.PeakKB)/1024, float64(theirs.PeakKB)/1024,
		float64(ours.PeakKB)/float64(theirs.PeakKB))
	fmt.Fprintf(out, "%-26s %12d %12d\n", "indicators found (all passes)", ours.Found, theirs.Found)
	fmt.Fprintf(out, "\nlabelled corpus: %d cases, %d labelled indicators\n", ncases, q.oursAll.TP+q.oursAll.FN)
	row := func(name string, a, b ioctest.Score) {
		fmt.Fprintf(out, "%-26s %5.3f / %5.3f %5.3f / %5.3f   (precision / recall)\n", name, a.Precision(), a.Recall(), b.Precision(), b.Recall())
	}
	row("all types", q.oursAll, q.theirsAll)
	row("types both extract", q.oursShared, q.theirsShared)
	fmt.Fprintf(out, "\nioc-extractor false positives (first 15 of %d):\n", len(q.theirsShared.FPs))
	for i, m := range q.theirsShared.FPs {
		if i == 15 {
			break
		}
		fmt.Fprintf(out, "  %-14s %-7s %q\n", m.Case, m.Type, m.Value)
	}
}
