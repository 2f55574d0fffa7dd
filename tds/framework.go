package tds

// Category is a DRONE incident category with its sub-contexts.
type Category struct {
	// Code is the category code, e.g. "CAT1".
	Code string `json:"code"`
	// Name is the category name, e.g. "Intrusion".
	Name string `json:"name"`
	// SubContexts are the category's sub-contexts, e.g. "Phishing".
	SubContexts []string `json:"sub_contexts"`
}

// DefaultCategories returns DRONE's default incident categories, CAT0 to CAT9, with
// the sub-contexts of the original tool. Definitions are checked against them.
func DefaultCategories() []Category {
	return []Category{
		{"CAT0", "Simulation", []string{"PENTEST", "TTOP - TableTop", "Adversary Emulation"}},
		{"CAT1", "Intrusion", []string{"Malware Aftermath", "Exploit Aftermath", "Theft",
			"Vendor Compromise", "Account Compromise", "Insider Threat Aftermath", "Phishing"}},
		{"CAT2", "Dos/DDoS", []string{"Volumetric", "Reflective", "Amplified", "Backscatter"}},
		{"CAT3", "Malware", []string{"Dropper", "Downloader", "RootKit", "Exploit", "WebShell",
			"PUP-Riskware", "Ransomware", "Virus", "Worm", "Trojan/RAT", "C2 Callbacks"}},
		{"CAT4", "Violation", []string{"Unsafe Security Protection Status",
			"Unsafe Patching Status", "Unsafe Web Browsing", "Unsafe Privilege Use",
			"Unsafe Configuration Status", "Unauthorized Data Handling",
			"Unauthorized Security Changes", "Unauthorized Rogue System",
			"Unauthorized Copyright Access", "Unauthorized Privilege Use"}},
		{"CAT5", "Probing", []string{"User Enumeration", "Port Enumeration",
			"Attempted WebApp Probing", "Attempted Email Phishing", "Attempted CVE Exploitation",
			"Attempted SQL Injection", "Attempted XSS Injection",
			"Attempted UDP/TCP/IP Protocol Abuse"}},
		{"CAT6", "Unknown", []string{"Abnormal Outage", "Abnormal Server Activity",
			"Abnormal UDP/TCP/IP Connections", "Abnormal User Report",
			"Abnormal User Password Resets", "Abnormal Data Transfer Volume(s)",
			"Abnormal System Reboot(s)"}},
		{"CAT7", "Countermeasure", []string{"Endpoint", "Firewall", "Proxy", "SIEM",
			"O365/Email", "IDS - Intrusion Detection", "IPS - Intrusion Prevention",
			"WAF - Web Application Firewall", "IDM - Identity Management Provider",
			"GPO - Group Policy Objects", "Vulnerability Port Scan",
			"Authenticated Vulnerability Scan", "Enhanced Security Logging"}},
		{"CAT8", "Forensics", []string{"Forensics - Malware Code", "Forensics - E-Discovery",
			"Forensics - Insider Threat", "Forensics - Fraudulent Threat",
			"ThreatIntel - Adversary Synthesis", "ThreatIntel - Industry Synthesis",
			"ThreatIntel - APT Synthesis", "ThreatIntel - KillChain Synthesis"}},
		{"CAT9", "False Positive", []string{"Approved Activity", "Bad IoC/IoA",
			"Explained Anomaly", "User Error"}},
	}
}

// findCategory returns the default category whose code or name matches s, ignoring
// case and punctuation.
func findCategory(s string) (Category, bool) {
	k := norm(s)
	for _, c := range DefaultCategories() {
		if norm(c.Code) == k || norm(c.Name) == k {
			return c, true
		}
	}
	return Category{}, false
}

// hasSubContext reports whether c has the sub-context s, ignoring case and punctuation.
func (c Category) hasSubContext(s string) bool {
	k := norm(s)
	for _, sc := range c.SubContexts {
		if norm(sc) == k {
			return true
		}
	}
	return false
}
