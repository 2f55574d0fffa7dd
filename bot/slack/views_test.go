package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
)

func service() *drone.Service {
	fw := drone.DefaultFramework()
	fw.Zones = []string{"ZONE-A"}
	fw.BusinessUnits = []string{"SALES", "VARIOUS"}
	return &drone.Service{Framework: fw, Targets: drone.DefaultTargets()}
}

func inputs(v slack.ModalViewRequest) map[string]*slack.InputBlock {
	out := map[string]*slack.InputBlock{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			out[in.BlockID] = in
		}
	}
	return out
}

func TestDeclareModal(t *testing.T) {
	d := service().DeclareDialog()
	v := dialogView(&d, map[string]string{}, viewMeta{Channel: "C1"})
	in := inputs(v)
	if v.CallbackID != cbDeclare || in["subcontext"] != nil || !in["category"].DispatchAction || in["overview"].Optional ||
		!in["indicators"].Optional {
		t.Fatalf("declare modal: %s", dronetest.IndentJSON(t, v))
	}
	if tlp := in["tlp"].Element.(*slack.SelectBlockElement).InitialOption; tlp == nil || tlp.Value != "AMBER" {
		t.Errorf("TLP starts at %+v; want AMBER", tlp)
	}
	v = dialogView(&d, map[string]string{"category": "CAT3"}, viewMeta{})
	sub := inputs(v)["subcontext.CAT3"]
	if sub == nil || len(sub.Element.(*slack.SelectBlockElement).Options) != 11 {
		t.Fatalf("the sub-contexts of CAT3 are not offered: %s", dronetest.IndentJSON(t, v))
	}
	if b, _ := json.Marshal(v); len(v.Blocks.BlockSet) > maxViewBlocks || len(b) > maxViewBytes {
		t.Errorf("declare modal of %d blocks, %d bytes", len(v.Blocks.BlockSet), len(b))
	}
}

func TestDialogValues(t *testing.T) {
	d := service().DeclareDialog()
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"category":        {"category": {SelectedOption: slack.OptionBlockObject{Value: "CAT1"}}},
		"subcontext.CAT3": {"subcontext": {SelectedOption: slack.OptionBlockObject{Value: "Worm"}}},
		"subcontext.CAT1": {"subcontext": {SelectedOption: slack.OptionBlockObject{Value: "Phishing"}}},
		"overview":        {"overview": {Value: "  a wave  "}},
	}}
	got := dialogValues(&slack.View{State: state}, &d)
	if got["category"] != "CAT1" || got["subcontext"] != "Phishing" || got["overview"] != "a wave" || got["zone"] != "" {
		t.Errorf("values = %v", got)
	}
	errs := fieldErrors(&d, got, map[string]string{"subcontext": "no", "overview": "short"})
	if errs["subcontext.CAT1"] != "no" || errs["overview"] != "short" || len(errs) != 2 {
		t.Errorf("errors by block = %v", errs)
	}
	if f := errorField(&d, `unknown business unit "X"; allowed: SALES`); f != "business_unit" {
		t.Errorf("errorField = %q", f)
	}
	if f := errorField(&d, "the title is 600 characters long"); f != "overview" {
		t.Errorf("errorField falls back to %q", f)
	}
}

// TestIndicatorCheckboxes lists many and long indicators within Slack's
// limits (10 checkboxes a block, 150-byte values, 3,000 bytes of metadata)
// and reads each ticked one back.
func TestIndicatorCheckboxes(t *testing.T) {
	var found []ioc.Indicator
	for i := range 700 {
		found = append(found, ioc.Indicator{Type: ioc.Domain, Value: fmt.Sprintf("h%d.evil.example.net", i), Internal: i%7 == 0})
	}
	long := ioc.Indicator{Type: ioc.URL, Value: "http://evil.example.net/" + strings.Repeat("p", 200)}
	found = append([]ioc.Indicator{long}, found...)
	meta := viewMeta{Ref: 3, Channel: "C1"}
	blocks, omitted := checkboxGroups(found, &meta)
	if len(blocks) != maxListed/maxCheckboxes || omitted != len(found)-maxListed {
		t.Fatalf("%d blocks, %d omitted", len(blocks), omitted)
	}
	if len(meta.encode()) > maxMetadata || len(meta.Long) != 1 {
		t.Fatalf("metadata %d bytes, %d long values", len(meta.encode()), len(meta.Long))
	}
	first := blocks[0].(*slack.InputBlock).Element.(*slack.CheckboxGroupsBlockElement)
	if len(first.Options) != 10 || len(first.InitialOptions) != 8 {
		t.Errorf("first block: %d options, %d ticked; want 10 and 8 (two internal)", len(first.Options), len(first.InitialOptions))
	}
	for _, o := range first.Options {
		if len(o.Value) > maxOptionValue || len([]rune(o.Text.Text)) > maxOptionText {
			t.Errorf("option %q / %q over Slack's limits", o.Value, o.Text.Text)
		}
		tv, err := decodeCheckbox(o.Value, meta)
		if err != nil || tv.Value == "" {
			t.Errorf("decodeCheckbox(%q) = %+v, %v", o.Value, tv, err)
		}
	}
	if tv, _ := decodeCheckbox(first.Options[0].Value, meta); tv.Value != long.Value || tv.Type != ioc.URL {
		t.Errorf("the long URL came back as %+v", tv)
	}
	for _, bad := range []string{"", "x:1", "i:9", "i:-1", "v:nosuchtype 1.2.3.4", "v:ipv4"} {
		if _, err := decodeCheckbox(bad, meta); err == nil {
			t.Errorf("decodeCheckbox(%q) accepted", bad)
		}
	}
}
