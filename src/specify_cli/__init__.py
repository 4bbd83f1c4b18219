"""specify_cli: a slice of the spec-kitty CLI rebuilt on kitty_fs capabilities."""
