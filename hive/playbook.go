package hive

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ttp0/drone/drone"
)

// PlaybookAny is the playbook key that applies to a category no other key
// names.
const PlaybookAny = "*"

// defaultPlaybooks are the tasks a case gets when hive.playbooks says
// nothing of its category: one list per category of the default framework,
// a few sub-contexts that need their own, and PlaybookAny for the
// categories an organisation adds.
var defaultPlaybooks = map[string][]string{
	PlaybookAny: {
		"Confirm what happened and its scope",
		"Contain the impact",
		"Collect evidence and build the timeline",
		"Inform the stakeholders",
		"Recover, then record the lessons learned",
	},
	"CAT0": {
		"Confirm the exercise is authorised and in scope (rules of engagement, contacts)",
		"Record the start and end times and the systems involved",
		"Tell the SOC and on-call staff which activity to expect",
		"List the detections the exercise raised and those it should have raised",
		"Write up the findings and open follow-up actions for the gaps",
	},
	"CAT1": {
		"Confirm the intrusion and its entry point",
		"Contain the affected accounts and hosts (isolate, disable, reset credentials)",
		"Scope the intrusion: hosts, accounts and data touched, attacker timeline",
		"Acquire evidence from the affected systems (memory, disk, logs)",
		"Hunt for the indicators across the estate",
		"Brief the stakeholders; involve legal and privacy if data was exposed",
		"Eradicate, restore from a known-good state and watch for a return",
		"Record the lessons learned and the detection improvements",
	},
	"CAT1/PHISHING": {
		"Collect the original message with its full headers",
		"Find every recipient, and who clicked, replied or opened an attachment",
		"Purge the message from every mailbox",
		"Block the sender, domains and URLs at the mail gateway and proxy",
		"Reset the credentials and revoke the sessions of users who entered them",
		"Check the sign-in logs of the affected accounts for attacker access",
		"Warn the users and report the phish to the hosting provider",
	},
	"CAT2": {
		"Confirm the attack: traffic volume, vectors and targeted services",
		"Engage the ISP or the DDoS mitigation provider",
		"Apply filtering, rate limits or rerouting",
		"Watch the availability of the services and the attack's evolution",
		"Record the timeline and the impact on availability",
		"Review capacity and the mitigation plan",
	},
	"CAT3": {
		"Identify the malware: sample, hashes, family",
		"Isolate the infected hosts",
		"Find the delivery vector and the first infected host",
		"Sweep the estate for the hashes and indicators",
		"Remove the malware or rebuild the hosts",
		"Block the command-and-control domains and addresses",
		"Confirm the hosts are clean and restore service",
	},
	"CAT3/RANSOMWARE": {
		"Isolate the affected hosts and network segments now",
		"Disable the compromised accounts, privileged ones first",
		"Identify the ransomware strain from the note and samples",
		"Protect the backups: take them offline and check their integrity",
		"Scope the encryption and any data exfiltration",
		"Inform leadership, legal, insurers and authorities as required",
		"Restore from clean backups and rebuild",
		"Record the lessons learned",
	},
	"CAT4": {
		"Confirm which policy was violated, with the evidence",
		"Identify the user or system and its owner",
		"Bring the system or behaviour back in line (patch, reconfigure, remove)",
		"Inform the user's manager or HR where the policy requires it",
		"Record the remediation or the approved exception, with its deadline",
	},
	"CAT5": {
		"Identify the sources and what they probed",
		"Check whether any attempt succeeded in the logs of the targeted services",
		"Block or rate-limit the sources",
		"Verify that the exposed services are patched and hardened",
		"Tune the detections for this pattern",
	},
	"CAT6": {
		"Gather the facts: what was seen, where, since when",
		"Collect the logs of the affected systems",
		"Involve the owners of the systems",
		"Decide whether it is a security matter and re-categorise the incident",
		"Record the explanation",
	},
	"CAT7": {
		"Describe the countermeasure and the threat it answers",
		"Get the change approved",
		"Deploy the countermeasure",
		"Verify that it works and breaks nothing",
		"Document it in the inventory of defences",
	},
	"CAT8": {
		"Open the chain of custody",
		"Acquire the evidence (disk, memory, logs, mailboxes) with its hashes",
		"Analyse the evidence and build the timeline",
		"Write the report for the requester",
		"Archive the evidence as the retention policy says",
	},
	"CAT9": {
		"Record why the activity is benign",
		"Tune the detection or allowlist that raised it",
		"Close the related alerts",
	},
}

// DefaultPlaybooks returns a copy of the playbooks drone ships: a task list
// for every category CAT0 to CAT9, some sub-contexts (CAT1/PHISHING,
// CAT3/RANSOMWARE) and PlaybookAny for any other category.
func DefaultPlaybooks() map[string][]string {
	out := make(map[string][]string, len(defaultPlaybooks))
	for k, v := range defaultPlaybooks {
		out[k] = slices.Clone(v)
	}
	return out
}

// PlaybookTasks returns the task titles of a category and sub-context. The
// configured playbooks come first, most specific key first
// ("CAT1/Phishing", then "CAT1", then "*"), then the defaults in the same
// order. Keys match ignoring case; an empty configured list means no tasks.
func PlaybookTasks(configured map[string][]string, category, subcontext string) []string {
	keys := []string{playbookKey(category, subcontext), playbookKey(category, ""), PlaybookAny}
	for _, books := range []map[string][]string{normalisePlaybooks(configured), defaultPlaybooks} {
		for _, k := range keys {
			if tasks, ok := books[k]; ok {
				return slices.Clone(tasks)
			}
		}
	}
	return nil
}

func playbookKey(category, subcontext string) string {
	k := strings.ToUpper(strings.TrimSpace(category))
	if s := strings.TrimSpace(subcontext); s != "" {
		k += "/" + strings.ToUpper(s)
	}
	return k
}

func normalisePlaybooks(in map[string][]string) map[string][]string {
	out := make(map[string][]string, len(in))
	for k, v := range in {
		cat, sub, _ := strings.Cut(k, "/")
		out[playbookKey(cat, sub)] = v
	}
	return out
}

func checkPlaybooks(books map[string][]string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(books)) {
		cat, _, _ := strings.Cut(k, "/")
		if strings.TrimSpace(cat) == "" {
			errs = append(errs, fmt.Errorf("hive.playbooks: key %q names no category (want CAT1 or CAT1/Phishing)", k))
		}
		for i, title := range books[k] {
			if strings.TrimSpace(title) == "" {
				errs = append(errs, fmt.Errorf("hive.playbooks.%s[%d]: empty task title", k, i))
			}
		}
	}
	return errs
}

// CheckFramework returns the keys of hive.playbooks and hive.case_templates
// that name a category or sub-context the framework does not have: they
// can never apply, which is most likely a typing mistake.
func CheckFramework(c Config, fw drone.Framework) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(c.Playbooks)) {
		if k == PlaybookAny {
			continue
		}
		cat, sub, _ := strings.Cut(k, "/")
		if err := knownCategory(fw, cat, sub); err != nil {
			errs = append(errs, fmt.Errorf("hive.playbooks: %q: %s", k, drone.ErrorMessage(err)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.CaseTemplates)) {
		if err := knownCategory(fw, k, ""); err != nil {
			errs = append(errs, fmt.Errorf("hive.case_templates: %q: %s", k, drone.ErrorMessage(err)))
		}
	}
	return errors.Join(errs...)
}

func knownCategory(fw drone.Framework, cat, sub string) error {
	c, err := fw.Category(strings.TrimSpace(cat))
	if err != nil {
		return err
	}
	if sub == "" {
		return nil
	}
	_, err = c.SubContext(strings.TrimSpace(sub))
	return err
}
