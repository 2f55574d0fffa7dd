package ioc

import "strings"

// slack handles Slack's link markup at s[i] == '<': "<target|label>",
// "<target>", and mentions ("<@U1>", "<#C1|general>", "<!here>"), which are
// skipped. When Slack auto-linked what the user typed
// ("<http://evil.com|evil.com>", "<mailto:a@b.c|a@b.c>") the label is the
// real value; otherwise the target is, and the label is scanned as text
// without echoing it. It returns where scanning goes on.
func (sc *scanner) slack(i, to int) int {
	s := sc.s
	j := i + 1
	for j < to && j-i < 2048 && class[s[j]]&clsSpace == 0 && s[j] != '|' && s[j] != '>' && s[j] != '<' {
		j++
	}
	if j >= to || j == i+1 || s[j] != '|' && s[j] != '>' {
		return i + 1
	}
	mention := s[i+1] == '@' || s[i+1] == '#' || s[i+1] == '!'
	if s[j] == '>' {
		if mention {
			return j + 1
		}
		return i + 1
	}
	k := j + 1
	for k < to && k-j < 2048 && s[k] != '>' && s[k] != '\n' && s[k] != '<' {
		k++
	}
	if k >= to || s[k] != '>' {
		return i + 1
	}
	if mention {
		return k + 1
	}
	if isAutolink(s[i+1:j], s[j+1:k]) {
		sc.run(j+1, k)
		return k + 1
	}
	sc.lastURL, sc.lastHost = "", ""
	sc.run(i+1, j)
	mark := len(sc.res.Indicators)
	sc.run(j+1, k)
	sc.dropEcho(mark, len(sc.res.Indicators))
	return k + 1
}

// isAutolink reports whether label is what Slack shows for target when it
// links text the user typed: the target without its scheme or "mailto:".
func isAutolink(target, label string) bool {
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	} else if len(target) > 7 && strings.EqualFold(target[:7], "mailto:") {
		target = target[7:]
	} else {
		return false
	}
	return strings.EqualFold(target, label) || strings.EqualFold(strings.TrimSuffix(target, "/"), label)
}

// markdown handles a Markdown/Discord link "[label](url)" at s[i] == '[':
// the URL is the value; a label repeating it or its host is dropped. It
// returns where scanning goes on, or 0 when s[i] opens no such link.
func (sc *scanner) markdown(i, to int) int {
	s := sc.s
	j := i + 1
	for j < to && j-i < 512 && s[j] != ']' && s[j] != '\n' {
		if s[j] == '[' {
			n, _ := markerAt(s, j, to)
			if n == 0 {
				return 0
			}
			j += n
			continue
		}
		j++
	}
	if j+2 >= to || s[j] != ']' || s[j+1] != '(' {
		return 0
	}
	u := j + 2
	k := u
	for k < to && k-u < 16 && isLetter(s[k]) {
		k++
	}
	if bracketScheme(s, u, to) == 0 && (k == u || k >= to || colonSlashLen(s, k, to) == 0) {
		return 0
	}
	mark := len(sc.res.Indicators)
	sc.run(i+1, j)
	labelEnd := len(sc.res.Indicators)
	sc.lastURL, sc.lastHost = "", ""
	end := sc.token(u, to)
	sc.dropEcho(mark, labelEnd)
	return end
}

// dropEcho removes the indicators in [from, to) that repeat the last URL
// or its host, as the label of a link does.
func (sc *scanner) dropEcho(from, to int) {
	if sc.lastURL == "" || from == to {
		return
	}
	host := strings.Trim(sc.lastHost, "[]")
	inds := sc.res.Indicators
	kept := inds[:from]
	for _, ind := range inds[from:to] {
		// The label's copy of the URL stays: the target's was a duplicate.
		if ind.Type != URL && (ind.Value == sc.lastURL || ind.Value == host) {
			continue
		}
		kept = append(kept, ind)
	}
	if len(kept) < to {
		sc.res.Indicators = append(kept, inds[to:]...)
		sc.reindex()
	}
}
