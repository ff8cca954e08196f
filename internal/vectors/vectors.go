// Package vectors loads the Django-made test vectors (fixtures/vectors and
// the packages' testdata) for tests, and fails the test when a file, a
// version's file or a section is missing or empty: a vector nobody reads
// proves nothing, and one that silently disappears proves less.
package vectors

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Versions are the Django series the vectors were made with, one
// fixtures/vectors/<kind>-<version>.json file each.
var Versions = []string{"3.2", "4.2", "5.2", "6.1"}

// root is the repository root, found from this file's path so that tests
// in any package reach the same files.
var root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// Path returns the absolute path of rel, a path from the repository root.
func Path(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

// File is one vector file: a JSON object whose members are its sections.
type File struct {
	// Name is the path from the repository root.
	Name string
	// Version is the Django series of a per-version file ("" otherwise).
	Version  string
	raw      []byte
	sections map[string]json.RawMessage
}

// Open reads the vector file rel (a path from the repository root) and
// fails t when it is missing or not a JSON object.
func Open(t testing.TB, rel string) *File {
	t.Helper()
	raw, err := os.ReadFile(Path(rel))
	if err != nil {
		t.Fatalf("vector file: %v", err)
	}
	f := &File{Name: rel, raw: raw}
	if err := json.Unmarshal(raw, &f.sections); err != nil {
		t.Fatalf("vector file %s: %v", rel, err)
	}
	if len(f.sections) == 0 {
		t.Fatalf("vector file %s is empty", rel)
	}
	return f
}

// PerVersion opens fixtures/vectors/<kind>-<version>.json for every
// version in Versions, in that order, failing t when one is missing.
func PerVersion(t testing.TB, kind string) []*File {
	t.Helper()
	out := make([]*File, 0, len(Versions))
	for _, v := range Versions {
		f := Open(t, "fixtures/vectors/"+kind+"-"+v+".json")
		f.Version = v
		out = append(out, f)
	}
	return out
}

// Sections returns the names of f's sections.
func (f *File) Sections() []string {
	out := make([]string, 0, len(f.sections))
	for k := range f.sections {
		out = append(out, k)
	}
	return out
}

// Has reports whether f has a non-empty section name. Tests use it only
// for sections a version does not make (loads_fallback_keys before 4.0);
// the manifest test pins which those are.
func (f *File) Has(name string) bool { return !Empty(f.sections[name]) }

// Lookup returns section name as it is, for a caller that checks it itself
// (rows that fail their test when the section is missing or empty).
func (f *File) Lookup(name string) (json.RawMessage, bool) {
	s, ok := f.sections[name]
	return s, ok
}

// Raw returns section name, failing t when it is missing or empty.
func (f *File) Raw(t testing.TB, name string) json.RawMessage {
	t.Helper()
	s, ok := f.sections[name]
	if !ok {
		t.Fatalf("%s: no section %q", f.Name, name)
	}
	if Empty(s) {
		t.Fatalf("%s: section %q is empty (%s)", f.Name, name, s)
	}
	return s
}

// Section decodes section name into dst, failing t when the section is
// missing, empty or does not decode.
func (f *File) Section(t testing.TB, name string, dst any) {
	t.Helper()
	if err := json.Unmarshal(f.Raw(t, name), dst); err != nil {
		t.Fatalf("%s: section %q: %v", f.Name, name, err)
	}
}

// Into decodes the whole file into dst (a struct whose fields name the
// sections) after checking that every section in required is there and
// not empty; a decoding error fails t.
func (f *File) Into(t testing.TB, dst any, required ...string) {
	t.Helper()
	for _, name := range required {
		f.Raw(t, name)
	}
	if err := json.Unmarshal(f.raw, dst); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
}

// IntoNumbers is Into with numbers in interface values kept as json.Number.
func (f *File) IntoNumbers(t testing.TB, dst any, required ...string) {
	t.Helper()
	for _, name := range required {
		f.Raw(t, name)
	}
	d := json.NewDecoder(bytes.NewReader(f.raw))
	d.UseNumber()
	if err := d.Decode(dst); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
}

// Empty reports whether a section holds nothing to test: absent, null, an
// empty string, list or object.
func Empty(s json.RawMessage) bool {
	switch strings.TrimSpace(string(s)) {
	case "", "null", `""`, "[]", "{}":
		return true
	}
	return false
}
