package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

// TestNotifyTestSaysARuleNamesNoTarget builds a router around a rule the
// configuration check would refuse: drone notify test says what is wrong
// instead of sending nothing without a word.
func TestNotifyTestSaysARuleNamesNoTarget(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Rules = append(cfg.Rules, Rule{Name: "ghost", Events: []string{"all"}, Targets: []string{"nowhere"}})
	fw := drone.DefaultFramework()
	n := &Notifier{cfg: cfg, router: NewRouter(cfg, fw)}
	res, err := n.Test(context.Background(), "ghost", "", SampleRecord(fw, time.Now()))
	if err != nil || len(res) != 1 {
		t.Fatalf("results %+v, %v", res, err)
	}
	if res[0].Target != "nowhere" || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), `rule "ghost" names no target "nowhere"`) {
		t.Errorf("the missing target gave %+v", res[0])
	}
}
