package vectors

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// reader is a test that reads a section: the package directory (from the
// repository root) and the test function.
type reader struct{ dir, test string }

// entry is one section of a vector file: the tests that read it, and the
// Django series whose file has it (nil: every file of the kind). A section
// with no reader is provenance (versions, notes), which no test compares.
type entry struct {
	readers  []reader
	versions []string
}

func read(dir string, tests ...string) entry {
	e := entry{}
	for _, t := range tests {
		e.readers = append(e.readers, reader{dir, t})
	}
	return e
}

func (e entry) only(versions ...string) entry { e.versions = versions; return e }

var provenance = entry{}

// header is what generate.py puts at the top of every per-version file.
// django_version, secret_key, secret_key_fallbacks and frozen_time_T0 are
// the settings every reader of the file uses.
var header = map[string]entry{
	"django_version":       provenance,
	"python_version":       provenance,
	"notes":                provenance,
	"secret_key":           provenance,
	"secret_key_fallbacks": provenance.only("4.2", "5.2", "6.1"), // no SECRET_KEY_FALLBACKS before 4.1
	"frozen_time_T0":       provenance,
}

// manifest is every vector file, every section, and the tests that read
// it. A file or section that appears without an entry here, or an entry
// whose section is missing or empty, fails TestManifest.
var manifest = map[string]map[string]entry{
	"fixtures/vectors/signing-*.json": {
		"salted_hmac":        read("signing", "TestSaltedHMACVectors"),
		"b64_encode":         read("signing", "TestBase64Vectors"),
		"b64_decode":         read("signing", "TestBase64Vectors"),
		"b62_encode":         read("signing", "TestBase62Vectors"),
		"b62_decode":         read("signing", "TestBase62Vectors"),
		"signer_sign":        read("signing", "TestSignerVectors"),
		"signer_unsign":      read("signing", "TestSignerVectors"),
		"signer_bad_sep":     read("signing", "TestSignerVectors"),
		"timestamp_signer":   read("signing", "TestTimestampSignerVectors"),
		"dumps":              read("signing", "TestDumpsVectors"),
		"compress_threshold": read("signing", "TestCompressThresholdVectors"),
		"loads_negative":     read("signing", "TestLoadsNegativeVectors"),
		"sign_object":        read("signing", "TestSignObjectVectors"),
		"cookie_signer": {readers: []reader{{"signing", "TestCookieSignerVectors"},
			{"django/signedcookie", "TestCookieSignerVectors"}}},
	},
	"fixtures/vectors/session-*.json": {
		"key_salts": read("django", "TestKeySaltOfASubclass"),
		"encode":    read("django", "TestVectorsEncode"),
		"decode":    read("django", "TestVectorsDecode"),
		"legacy_encode_with_DEFAULT_HASHING_ALGORITHM_sha1": read("django", "TestVectorsLegacySHA1Encode").only("3.2"),
		"signed_cookies":         read("django", "TestVectorsSignedCookies"),
		"session_key_generation": read("django", "TestVectorsSessionKeyGeneration"),
		"session_key_validation": read("django", "TestVectorsKeyValidation"),
		"expiry":                 read("django", "TestVectorsExpiry"),
		"middleware":             read("django", "TestMiddlewareVectors"),
	},
	"fixtures/vectors/auth-*.json": {
		"session_auth_hash": read("django/auth", "TestSessionAuthHashVectors"),
		"password_hashes":   read("django/auth/hashers", "TestVectorsPasswordHashes"),
		"login_flow":        read("django/auth", "TestLoginFlowVectors"),
		"csrf":              read("django/csrf", "TestVectors"),
		"messages":          read("django/messages", "TestVectors"),
	},
	"fixtures/vectors/extra-*.json": {
		"dumps_values":         read("signing", "TestExtraVectors"),
		"dumps_salts":          read("signing", "TestExtraVectors"),
		"dumps_algorithms":     read("signing", "TestExtraVectors"),
		"dumps_keys":           read("signing", "TestExtraVectors"),
		"dumps_timestamps":     read("signing", "TestExtraVectors"),
		"loads_fallback_keys":  read("signing", "TestExtraVectors").only("4.2", "5.2", "6.1"),
		"session_key_salts":    read("django", "TestExtraSessionVectors"),
		"session_encode":       read("django", "TestExtraSessionVectors"),
		"session_cross_decode": read("django", "TestExtraSessionVectors"),
	},
	"fixtures/vectors/json-bytes.json": {
		"python_version": provenance,
		"django_version": provenance,
		"serializer":     provenance,
		"dumps":          read("pyjson", "TestVectorsDumps"),
		"dumps_errors":   read("pyjson", "TestVectorsDumpsErrors"),
		"loads":          read("pyjson", "TestVectorsLoads"),
	},
	"backends/cache/testdata/cache-values.json": {
		"description":    provenance,
		"servers":        provenance,
		"clients":        provenance,
		"python":         provenance,
		"entries":        read("backends/cache", "TestCapturedSessionValues"),
		"flag_table_raw": read("backends/cache", "TestFlagTable"),
	},
	"backends/cache/testdata/placement-vectors.json": {
		"description":           provenance,
		"hash_function_vectors": read("backends/cache", "TestHashFunctionVectors"),
		"topologies":            read("backends/cache", "TestPlacementVectors"),
		"non_ascii_keys":        read("backends/cache", "TestPlacementVectors"),
	},
	"backends/cache/testdata/topologies.json": {
		"django_redis_version": provenance,
		"redis_py_version":     provenance,
		"shard":                read("backends/cache", "TestShardVectors"),
		"cluster_slot":         read("backends/cache", "TestClusterSlotVectors"),
	},
	"pickle/testdata/pickle-vectors.json": {
		"generator":               provenance,
		"python":                  provenance,
		"pickle_HIGHEST_PROTOCOL": provenance,
		"pickle_DEFAULT_PROTOCOL": provenance,
		"typed_value_format":      provenance,
		"opcode_row_format":       provenance,
		"vectors":                 read("pickle", "TestVectors"),
	},
}

// vectorFiles are where vector files live.
var vectorFiles = []string{"fixtures/vectors/*.json", "backends/cache/testdata/*.json", "pickle/testdata/*.json"}

// versionOf is the series of a per-version file name ("" for others).
var versionOf = regexp.MustCompile(`-(\d+\.\d+)\.json$`)

// TestManifest fails when a vector file or section has no reader, when a
// section a reader needs is missing or empty in any file it belongs in,
// when a per-version kind lacks a version, and when a named reader is not
// a test of its package that names the section.
func TestManifest(t *testing.T) {
	var files []string
	for _, g := range vectorFiles {
		m, err := filepath.Glob(Path(g))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no vector files")
	}
	seen := map[string][]string{} // manifest pattern -> versions found
	for _, abs := range files {
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		pattern, ver := rel, ""
		if m := versionOf.FindStringSubmatch(rel); m != nil {
			ver = m[1]
			pattern = strings.TrimSuffix(rel, m[0]) + "-*.json"
		}
		sections, ok := manifest[pattern]
		if !ok {
			t.Errorf("%s: a vector file the manifest does not list: add its sections and readers", rel)
			continue
		}
		seen[pattern] = append(seen[pattern], ver)
		f := Open(t, rel)
		want := map[string]entry{}
		for k, e := range sections {
			want[k] = e
		}
		if ver != "" {
			for k, e := range header {
				want[k] = e
			}
		}
		for _, name := range f.Sections() {
			if _, ok := want[name]; !ok {
				t.Errorf("%s: section %q has no reader in the manifest", rel, name)
			}
		}
		for name, e := range want {
			if e.versions != nil && !slices.Contains(e.versions, ver) {
				if f.Has(name) {
					t.Errorf("%s: section %q is for Django %v only", rel, name, e.versions)
				}
				continue
			}
			if !f.Has(name) {
				t.Errorf("%s: section %q is missing or empty", rel, name)
			}
		}
	}
	for pattern := range manifest {
		got := seen[pattern]
		if !strings.Contains(pattern, "*") {
			if len(got) != 1 {
				t.Errorf("%s: missing", pattern)
			}
			continue
		}
		sort.Strings(got)
		if !slices.Equal(got, Versions) {
			t.Errorf("%s: versions %v, want %v", pattern, got, Versions)
		}
	}
	checkReaders(t)
}

// checkReaders checks that each named reader is a test function of its
// package whose test files mention the section.
func checkReaders(t *testing.T) {
	sources := map[string]string{}
	source := func(dir string) string {
		if s, ok := sources[dir]; ok {
			return s
		}
		m, err := filepath.Glob(filepath.Join(Path(dir), "*_test.go"))
		if err != nil || len(m) == 0 {
			t.Fatalf("%s: no test files (%v)", dir, err)
		}
		var b strings.Builder
		for _, p := range m {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		sources[dir] = b.String()
		return sources[dir]
	}
	for pattern, sections := range manifest {
		for name, e := range sections {
			for _, r := range e.readers {
				src := source(r.dir)
				if !strings.Contains(src, "func "+r.test+"(t *testing.T)") {
					t.Errorf("%s %s: reader %s.%s is not a test there", pattern, name, r.dir, r.test)
				}
				if !strings.Contains(strings.ToLower(src), strings.ToLower(name)) &&
					!strings.Contains(strings.ToLower(src), strings.ReplaceAll(name, "_", "")) {
					t.Errorf("%s %s: the tests of %s never name the section", pattern, name, r.dir)
				}
			}
		}
	}
}

// TestTable prints the manifest as the table of the README's claims (go
// test -run TestTable -v ./internal/vectors).
func TestTable(t *testing.T) {
	var rows []string
	for pattern, sections := range manifest {
		for name, e := range sections {
			if len(e.readers) == 0 {
				continue
			}
			var rs []string
			for _, r := range e.readers {
				rs = append(rs, r.dir+"."+r.test)
			}
			v := "all"
			if e.versions != nil {
				v = strings.Join(e.versions, ",")
			}
			rows = append(rows, "| "+pattern+" | "+name+" | "+v+" | "+strings.Join(rs, ", ")+" |")
		}
	}
	sort.Strings(rows)
	t.Log("\n" + strings.Join(rows, "\n"))
}
