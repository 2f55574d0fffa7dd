package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

// theirKeys maps ioc-extractor's output keys onto drone's types. Its other
// keys (eths, xmrs, macAddresses, gaPubIDs, gaTrackIDs, ssdeeps) have no
// drone type and are left out.
var theirKeys = map[string]ioc.Type{
	"ipv4s": ioc.IPv4, "ipv6s": ioc.IPv6, "domains": ioc.Domain, "urls": ioc.URL, "emails": ioc.Email,
	"md5s": ioc.MD5, "sha1s": ioc.SHA1, "sha256s": ioc.SHA256, "sha512s": ioc.SHA512,
	"cves": ioc.CVE, "btcs": ioc.Bitcoin, "asns": ioc.ASN,
}

// shared are the types both tools extract: the fair ground for precision
// and recall (drone also extracts CIDRs, ATT&CK ids, registry keys and
// file names, which ioc-extractor has no key for).
var shared = func() map[ioc.Type]bool {
	m := map[ioc.Type]bool{}
	for _, t := range theirKeys {
		m[t] = true
	}
	return m
}()

type qualities struct {
	oursAll, theirsAll, oursShared, theirsShared ioctest.Score
}

// quality scores both tools on the labelled corpus.
func quality(ctx context.Context, c config, cases []ioctest.Case) (qualities, error) {
	var q qualities
	theirs, err := runTheirs(ctx, c, cases)
	if err != nil {
		return q, err
	}
	var e ioc.Extractor
	for _, cs := range cases {
		ours := ioctest.Found(e.Extract(cs.Text))
		q.oursAll.Add(ioctest.Compare(cs, ours, nil))
		q.oursShared.Add(ioctest.Compare(cs, ours, shared))
		q.theirsAll.Add(ioctest.Compare(cs, theirs[cs.ID], nil))
		q.theirsShared.Add(ioctest.Compare(cs, theirs[cs.ID], shared))
	}
	return q, nil
}

// runTheirs runs ioc-extractor over every case and maps what it found.
func runTheirs(ctx context.Context, c config, cases []ioctest.Case) (map[string][]ioctest.IOC, error) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, cs := range cases {
		if err := enc.Encode(map[string]string{"id": cs.ID, "text": cs.Text}); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, c.node, c.nodeScript, "label")
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("node %s label: %w", c.nodeScript, err)
	}
	found := map[string][]ioctest.IOC{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			ID  string              `json:"id"`
			IOC map[string][]string `json:"ioc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("node output: %w", err)
		}
		for key, values := range r.IOC {
			t, ok := theirKeys[key]
			if !ok {
				continue
			}
			for _, v := range values {
				found[r.ID] = append(found[r.ID], ioctest.IOC{Type: t, Value: normTheirs(t, v)})
			}
		}
	}
	return found, sc.Err()
}

// normTheirs puts a value of ioc-extractor in drone's normal form where
// the two differ only by case, so that the comparison is about what was
// found, not how it is spelled.
func normTheirs(t ioc.Type, v string) string {
	switch t {
	case ioc.Domain, ioc.Email, ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return strings.ToLower(v)
	case ioc.CVE, ioc.ASN:
		return strings.ToUpper(v)
	case ioc.URL:
		i := strings.Index(v, "://")
		if i < 0 {
			return v
		}
		rest := v[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		return strings.ToLower(v[:i+3]) + strings.ToLower(rest[:end]) + rest[end:]
	}
	return v
}
