package main

import (
	"fmt"
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

type flagSpec struct {
	boolean bool
	usage   string
}

func newFlagSet() *flagSet {
	return &flagSet{specs: map[string]flagSpec{}, values: map[string][]string{}}
}

func (f *flagSet) define(name string, boolean bool, usage string) {
	f.specs[name] = flagSpec{boolean: boolean, usage: usage}
}

// parse reads args; "--" ends the flags.
func (f *flagSet) parse(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			f.args = append(f.args, args[i+1:]...)
			return nil
		}
		if !strings.HasPrefix(a, "--") || a == "-" {
			if strings.HasPrefix(a, "-") && len(a) > 1 {
				return fmt.Errorf("unknown flag %s", a)
			}
			f.args = append(f.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		spec, ok := f.specs[name]
		if !ok {
			return fmt.Errorf("unknown flag --%s", name)
		}
		if spec.boolean {
			if !hasValue {
				value = "true"
			}
			switch value {
			case "true", "1", "yes", "on", "True":
				value = "true"
			case "false", "0", "no", "off", "False":
				value = "false"
			default:
				return fmt.Errorf("flag --%s takes true or false, not %q", name, value)
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return fmt.Errorf("flag --%s needs a value", name)
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
