package hive_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ttp0/drone/hive"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const reported = "From: \"IT Support\" <support@bad-sender.net>\r\nSubject: Your mailbox is full\r\n\r\nClick here.\r\n"

func TestCreateFileObservable(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setup(t, api)
		ctx := context.Background()
		cs, err := b.cli.CreateCase(ctx, hive.CaseInput{Title: "phish", Description: "d"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.cli.CreateObservables(ctx, cs.ID, hive.ObservableInput{DataType: "ip", Data: []string{"192.0.2.1"}}); err != nil {
			t.Fatal(err)
		}
		in := hive.FileObservableInput{Name: "dir/Your mailbox\r\n is full.eml", ContentType: "message/rfc822",
			Content: []byte(reported), Message: "reported", TLP: hive.TLPAmber, PAP: hive.TLPGreen, Tags: []string{"phish", "phish"}}
		res, err := b.cli.CreateFileObservable(ctx, cs.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		sha := sha256Hex([]byte(reported))
		if len(res.Created) != 1 || res.Created[0].Attachment.SHA256() != sha || res.Created[0].Attachment.Name != "Your mailbox is full.eml" {
			t.Fatalf("result = %+v", res)
		}
		atts := b.srv.Attachments(cs.ID)
		if len(atts) != 1 || atts[0].SHA256 != sha || atts[0].Name != "Your mailbox is full.eml" ||
			atts[0].ContentType != "message/rfc822" || string(atts[0].Content) != reported {
			t.Fatalf("TheHive holds %+v", atts)
		}
		var file *struct{ TLP, PAP int }
		for _, o := range b.srv.Observables(cs.ID) {
			if o.Attachment != nil {
				file = &struct{ TLP, PAP int }{o.TLP, o.PAP}
				if o.Message != "reported" || len(o.Tags) != 1 || o.IOC {
					t.Errorf("file observable = %+v", o)
				}
			}
		}
		wantPAP := map[string]int{hive.APIv1: 1, hive.APIv0: -1}[api] // TheHive 4 observables have no PAP
		if file == nil || file.TLP != 2 || file.PAP != wantPAP {
			t.Errorf("file observable levels = %+v, want tlp 2 pap %d", file, wantPAP)
		}

		found, err := b.cli.FindFileObservable(ctx, cs.ID, sha)
		if err != nil || found == nil || found.ID != res.Created[0].ID {
			t.Errorf("FindFileObservable = %+v, %v; want %s", found, err, res.Created[0].ID)
		}
		if none, err := b.cli.FindFileObservable(ctx, cs.ID, sha256Hex(nil)); err != nil || none != nil {
			t.Errorf("FindFileObservable of another file = %+v, %v", none, err)
		}
		if files, err := b.cli.FindFileObservables(ctx, cs.ID); err != nil || len(files) != 1 {
			t.Errorf("FindFileObservables = %+v, %v; want the file alone", files, err)
		}

		// The same content again: TheHive refuses it as a duplicate.
		again, err := b.cli.CreateFileObservable(ctx, cs.ID, in)
		if err != nil || len(again.Created) != 0 || len(again.Duplicates()) != 1 || len(again.Errors()) != 0 {
			t.Errorf("second upload = %+v, %v; want a duplicate", again, err)
		}
	})
}

func TestCreateFileObservableRefused(t *testing.T) {
	b := setup(t, hive.APIv1)
	ctx := context.Background()
	for name, in := range map[string]hive.FileObservableInput{
		"no name":     {Content: []byte("x")},
		"no content":  {Name: "x.eml"},
		"unknown TLP": {Name: "x.eml", Content: []byte("x"), TLP: "PURPLE"},
	} {
		if _, err := b.cli.CreateFileObservable(ctx, "~1", in); !errors.Is(err, hive.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if n := len(b.srv.Requests()); n != 0 {
		t.Errorf("invalid inputs sent %d requests", n)
	}
	_, err := b.cli.CreateFileObservable(ctx, "~404", hive.FileObservableInput{Name: "x.eml", Content: []byte("x")})
	if !hive.IsNotFound(err) || hive.Retryable(err) {
		t.Errorf("unknown case: %v, want a 404 not to retry", err)
	}
}
