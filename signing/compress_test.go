package signing

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// What Go accepts against Django on compression (dumps(..., compress=True),
// the signed_cookies session). Both sides apply Django's rule to their own
// zlib stream: keep it when len(zlib) < len(json) - 1. The streams differ:
// Django's is CPython's zlib at level 6; Go's is tinyDeflate's below 512
// bytes of JSON when that stream is more than tinyMargin bytes below the
// cut, else klauspost/compress (level 1 below 512 bytes, level 6 above).
// Measured against CPython 3.11's zlib by TestCompressedSizeAgainstCPython
// (about 5,000 inputs):
//
//   - Go's stream is never more than cpythonShorterBy bytes shorter than
//     CPython's, and no input was compressed by Go and not by Django: Go may
//     leave uncompressed what Django compresses, never the reverse;
//   - on session dicts (the signed_cookies case) Go's stream is 4 bytes
//     shorter to 21 bytes longer (sessionLongerBy leaves a margin), and no
//     decision differed: a session dict compresses far below the cut on
//     both sides;
//   - klauspost stores (does not compress) inputs under about 80 bytes and
//     high-entropy text (random tokens), where CPython's Huffman stage still
//     saves a few bytes to a quarter: there Go writes the token uncompressed
//     where Django compresses it, and it is longer by what Django saved (up
//     to about a quarter of a random token). Its stream is never longer than
//     a stored one, storedOverhead bytes over the data. (tinyDeflate
//     compresses more of these; it answers only well below the cut.)
//
// Either token reads back on either side: a "." payload is inflated whatever
// compressed it, and an uncompressed one is plain base64.
const (
	cpythonShorterBy = 4
	sessionLongerBy  = 40
	storedOverhead   = 13
)

// goZlibLen is the length of the zlib stream Dumps would keep or drop for data.
func goZlibLen(data []byte) int {
	var b bytes.Buffer
	zlibCompress(&b, data)
	return b.Len()
}

// keeps is Django's rule in signing.dumps: the compressed form is used only
// when it is at least two bytes shorter.
func keeps(zlibLen, jsonLen int) bool { return zlibLen < jsonLen-1 }

// checkCompressDecision fails t unless Go's choice for json (compressed:
// whether Dumps wrote a "." token) follows Django's rule on Go's own stream,
// and, where Django (djangoZlib bytes, djangoKept) chose otherwise, the
// difference is one this file accepts.
func checkCompressDecision(t *testing.T, json []byte, compressed bool, djangoZlib int, djangoKept bool) {
	t.Helper()
	if keeps(djangoZlib, len(json)) != djangoKept {
		t.Fatalf("Django kept=%v for %d bytes of zlib and %d of JSON: not its rule", djangoKept, djangoZlib, len(json))
	}
	ours := goZlibLen(json)
	if len(json) >= compressMinLen && compressed != keeps(ours, len(json)) {
		t.Errorf("Dumps compressed=%v for %d bytes of JSON with a %d-byte stream: not Django's rule", compressed, len(json), ours)
	}
	if ours < djangoZlib-cpythonShorterBy || ours > len(json)+storedOverhead {
		t.Errorf("Go's stream is %d bytes, CPython's %d, for %d bytes of JSON: outside [-%d, stored+%d]",
			ours, djangoZlib, len(json), cpythonShorterBy, storedOverhead)
	}
	if compressed && !djangoKept {
		t.Errorf("%d bytes of JSON: Go compressed (%d-byte stream) where Django did not (%d)", len(json), ours, djangoZlib)
	} else if compressed != djangoKept {
		t.Logf("%d bytes of JSON: Go compressed=%v (%d-byte stream), Django %v (%d): accepted, both read either",
			len(json), compressed, ours, djangoKept, djangoZlib)
	}
}

// compressCorpus is deterministic: session dicts of 3 to 33 keys, runs of one
// byte, and random alphanumeric tokens, from 9 bytes to 2 KiB.
func compressCorpus() (inputs [][]byte, kinds []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	word := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	add := func(kind, s string) { inputs, kinds = append(inputs, []byte(s)), append(kinds, kind) }
	for n := 9; n < 600; n++ {
		add("repeat", strconv.Quote(strings.Repeat("a", n-2)))
	}
	for n := 9; n < 2048; n += 2 {
		add("token", strconv.Quote(word(alnum, n-2)))
	}
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		b.WriteString(`{"_auth_user_id": "` + strconv.Itoa(rng.IntN(100000000)) +
			`", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend", "_auth_user_hash": "` +
			word("0123456789abcdef", 64) + `"`)
		for j := range rng.IntN(31) {
			b.WriteString(`, "` + []string{"cart", "visits", "lang", "csrf", "msg", "flag", "k", "theme"}[rng.IntN(8)] + strconv.Itoa(j) + `": `)
			switch rng.IntN(5) {
			case 0:
				b.WriteString(strconv.Itoa(rng.IntN(1000000)))
			case 1:
				b.WriteString(strconv.Quote(word(alnum, 1+rng.IntN(40))))
			case 2:
				b.WriteString("[")
				for k := range rng.IntN(8) {
					if k > 0 {
						b.WriteString(", ")
					}
					b.WriteString(strconv.Itoa(rng.IntN(100)))
				}
				b.WriteString("]")
			case 3:
				b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
			default:
				b.WriteString(strconv.Quote(strings.Repeat("x", 1+rng.IntN(50))))
			}
		}
		b.WriteString("}")
		add("session", b.String())
	}
	return inputs, kinds
}

// TestCompressedSizeAgainstCPython measures how far Go's zlib streams are from
// CPython's (the one Django uses) and fails outside what the constants above
// accept. It runs python3 once for the whole corpus.
func TestCompressedSizeAgainstCPython(t *testing.T) {
	py := cpython(t)
	inputs, kinds := compressCorpus()
	var stdin bytes.Buffer
	for _, in := range inputs {
		stdin.WriteString(hex.EncodeToString(in) + "\n")
	}
	cmd := exec.Command(py, "-c", "import sys, zlib\nfor l in sys.stdin: print(len(zlib.compress(bytes.fromhex(l.strip()))))")
	cmd.Stdin = &stdin
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var pyLens []int
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		pyLens = append(pyLens, n)
	}
	if len(pyLens) != len(inputs) {
		t.Fatalf("python3 answered %d of %d inputs", len(pyLens), len(inputs))
	}
	type band struct{ lo, hi, n, differs, goOnly int }
	bands := map[string]*band{}
	for i, in := range inputs {
		ours, theirs := goZlibLen(in), pyLens[i]
		b := bands[kinds[i]]
		if b == nil {
			b = &band{lo: ours - theirs, hi: ours - theirs}
			bands[kinds[i]] = b
		}
		b.lo, b.hi, b.n = min(b.lo, ours-theirs), max(b.hi, ours-theirs), b.n+1
		if keeps(ours, len(in)) != keeps(theirs, len(in)) {
			b.differs++
			if keeps(ours, len(in)) {
				b.goOnly++
			}
		}
		if ours < theirs-cpythonShorterBy || ours > len(in)+storedOverhead {
			t.Errorf("%s of %d bytes: Go's stream %d, CPython's %d: outside [-%d, stored+%d]",
				kinds[i], len(in), ours, theirs, cpythonShorterBy, storedOverhead)
		}
		if kinds[i] == "session" && ours > theirs+sessionLongerBy {
			t.Errorf("session dict of %d bytes: Go's stream %d, CPython's %d: more than %d longer",
				len(in), ours, theirs, sessionLongerBy)
		}
	}
	if bands["session"].differs != 0 {
		t.Errorf("Go and Django decide differently on %d session dicts", bands["session"].differs)
	}
	for k, b := range bands {
		if b.goOnly != 0 {
			t.Errorf("%s: Go compresses %d inputs that Django leaves uncompressed", k, b.goOnly)
		}
	}
	for _, k := range []string{"session", "repeat", "token"} {
		b := bands[k]
		t.Logf("%-7s n=%4d Go-CPython stream length in [%d, %d]; compression decision differs on %d (Go compresses, Django not: %d)", k, b.n, b.lo, b.hi, b.differs, b.goOnly)
	}
}

// TestDecompressBound: Decompress stops at max (zero or less: the default
// bound) with ErrTooLarge, a limit; what is not zlib is ErrMalformed.
func TestDecompressBound(t *testing.T) {
	bomb := zerosBomb(DefaultMaxDecompressedSize>>20 + 1)
	for _, max := range []int64{0, -1} {
		if _, err := Decompress(bomb, max); !errors.Is(err, ErrTooLarge) || !IsLimit(err) || errors.Is(err, ErrMalformed) {
			t.Errorf("max %d, past the default bound: %v, want ErrTooLarge", max, err)
		}
	}
	if got, err := Decompress(zerosBomb(1), 1<<20); err != nil || len(got) != 1<<20 {
		t.Errorf("at max: %d bytes, %v", len(got), err)
	}
	if _, err := Decompress(zerosBomb(1), 1<<20-1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte past max: %v, want ErrTooLarge", err)
	}
	for _, bad := range [][]byte{nil, []byte("not zlib"), zerosBomb(1)[:100]} {
		if _, err := Decompress(bad, 0); !errors.Is(err, ErrMalformed) || IsLimit(err) {
			t.Errorf("Decompress(%.8x...): %v, want ErrMalformed", bad, err)
		}
	}
}

// cpython returns the python3 whose zlib the comparisons with CPython (the
// one Django compresses and inflates with) run; without one the test is
// skipped, and fails in CI, where a skipped comparison would pass unseen.
func cpython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 not found: CI must compare with CPython's zlib")
		}
		t.Skip("python3 not found: skipping the comparison with CPython's zlib")
	}
	return py
}
