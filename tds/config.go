package tds

// Config says where drone finds its threat library and the organisation's
// log-source inventory.
type Config struct {
	// Library is a directory of definition files. Defaults to the library
	// shipped in drone (configs/tds).
	Library string `yaml:"library"`
	// Inventory is the log-source inventory file. Defaults to none: without
	// it drone cannot say what is visible.
	Inventory string `yaml:"inventory"`
}
