package dronetest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// LogBuffer is a log sink that goroutines may write to at once.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NewLog returns a text logger at the given level writing to a buffer, and
// the buffer. The buffer is printed in the test's log when the test fails,
// so a passing test stays quiet and a failing one shows what led to it.
func NewLog(t testing.TB, level slog.Level) (*slog.Logger, *LogBuffer) {
	t.Helper()
	buf := &LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			if s := buf.String(); s != "" {
				t.Logf("log:\n%s", s)
			}
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level})), buf
}
