package main

import (
	"strings"
)

// flagSet parses GNU-style flags that may stand anywhere among the
// arguments: the settings flags go before or after the command word, so the
// standard library's flag package (which stops at the first argument) does
// not fit.
type flagSet struct {
	specs  map[string]flagSpec
	values map[string][]string
	args   []string
}

// flagSpec is what help shows of a flag: arg is the placeholder of its
// value ("" for a boolean flag), def its default as the user would write
// it ("" when there is none worth showing).
type flagSpec struct {
	arg   string
	def   string
	usage string
}

func (s flagSpec) boolean() bool { return s.arg == "" }

func newFlagSet() *flagSet {
	return &flagSet{specs: map[string]flagSpec{}, values: map[string][]string{}}
}

// define adds a flag that takes a value, shown in help as --name ARG.
func (f *flagSet) define(name, arg, def, usage string) {
	f.specs[name] = flagSpec{arg: arg, def: def, usage: usage}
}

// defineBool adds a flag that is true when present; --name=false also works.
func (f *flagSet) defineBool(name, def, usage string) {
	f.specs[name] = flagSpec{def: def, usage: usage}
}

// parse reads args; "--" ends the flags. Every error is a usage error.
func (f *flagSet) parse(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			f.args = append(f.args, args[i+1:]...)
			return nil
		}
		if a == "-h" {
			// The one short flag: what a user types first when lost.
			a = "--help"
		}
		if !strings.HasPrefix(a, "--") || a == "-" {
			if strings.HasPrefix(a, "-") && len(a) > 1 {
				return usagef("unknown flag %s", a)
			}
			f.args = append(f.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		spec, ok := f.specs[name]
		if !ok {
			return usagef("unknown flag --%s", name)
		}
		if spec.boolean() {
			if !hasValue {
				value = "true"
			}
			switch value {
			case "true", "1", "yes", "on", "True":
				value = "true"
			case "false", "0", "no", "off", "False":
				value = "false"
			default:
				return usagef("--%s takes true or false, not %q", name, value)
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return usagef("--%s needs a value (--%s %s)", name, name, spec.arg)
			}
			i++
			value = args[i]
		}
		f.values[name] = append(f.values[name], value)
	}
	return nil
}

// get returns the last value given for name, and whether there was one.
func (f *flagSet) get(name string) (string, bool) {
	v := f.values[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func (f *flagSet) all(name string) []string { return f.values[name] }

func (f *flagSet) isSet(name string) bool { return len(f.values[name]) > 0 }

func (f *flagSet) boolean(name string) bool {
	v, _ := f.get(name)
	return v == "true"
}
