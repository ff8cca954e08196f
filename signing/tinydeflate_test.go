package signing

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"
)

// tinyInputs: the compression corpus below 512 bytes, the bench's session
// shapes, and random inputs over small and large alphabets, with runs.
func tinyInputs() [][]byte {
	corpus, _ := compressCorpus()
	var out [][]byte
	for _, in := range corpus {
		if len(in) <= tinyMax {
			out = append(out, in)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := compressMinLen; n <= tinyMax; n += 7 {
		for _, alpha := range []string{"ab", "abcdefgh", "0123456789abcdef", "\x00\xff\"\\{}:,"} {
			b := make([]byte, n)
			for i := range b {
				b[i] = alpha[rng.IntN(len(alpha))]
			}
			out = append(out, b)
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		out = append(out, b, bytes.Repeat([]byte("x"), n), []byte(strings.Repeat("abc", n)[:n]))
	}
	out = append(out, []byte(`{"_auth_user_id":"42","_auth_user_backend":"django.contrib.auth.backends.ModelBackend",`+
		`"_auth_user_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`))
	return out
}

// Every stream tinyDeflate writes inflates back to its input, with Go's
// compress/zlib, with klauspost's and with Decompress (signing's own
// inflater), and is kept only when Django's rule keeps it.
func TestTinyDeflateRoundTrip(t *testing.T) {
	answered := 0
	for _, in := range tinyInputs() {
		var z bytes.Buffer
		if !tinyDeflate(&z, in) {
			if z.Len() != 0 {
				t.Fatalf("%d bytes: declined but wrote %d bytes", len(in), z.Len())
			}
			continue
		}
		answered++
		if !keeps(z.Len(), len(in)) {
			t.Errorf("%d bytes: a %d-byte stream, not two bytes shorter", len(in), z.Len())
		}
		r, err := zlib.NewReader(bytes.NewReader(z.Bytes()))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%q: compress/zlib read %q, %v", in, got, err)
		}
		kr, err := kzlib.NewReader(bytes.NewReader(z.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got, err = io.ReadAll(kr); err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%q: klauspost read %q, %v", in, got, err)
		}
		if got, err = Decompress(z.Bytes(), 0); err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%q: Decompress read %q, %v", in, got, err)
		}
	}
	if answered < 100 {
		t.Errorf("tinyDeflate answered for %d inputs only", answered)
	}
}

// CPython's zlib (the one Django inflates with) reads every stream
// tinyDeflate writes.
func TestTinyDeflateReadByCPython(t *testing.T) {
	py := cpython(t)
	var stdin bytes.Buffer
	n := 0
	for _, in := range tinyInputs() {
		var z bytes.Buffer
		if tinyDeflate(&z, in) {
			stdin.WriteString(hex.EncodeToString(z.Bytes()) + " " + hex.EncodeToString(in) + "\n")
			n++
		}
	}
	cmd := exec.Command(py, "-c", `import sys, zlib
bad = 0
for l in sys.stdin:
    z, d = l.split()
    if zlib.decompress(bytes.fromhex(z)) != bytes.fromhex(d): bad += 1
print(bad)`)
	cmd.Stdin = &stdin
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Fatalf("CPython on %d streams: %s %v", n, out, err)
	}
}

// A 172-byte session costs no allocation and far less than the general
// writer.
func BenchmarkTinyDeflate(b *testing.B) {
	in := []byte(`{"_auth_user_id":"42","_auth_user_backend":"django.contrib.auth.backends.ModelBackend",` +
		`"_auth_user_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`)
	var z bytes.Buffer
	b.Run("tiny", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			z.Reset()
			tinyDeflate(&z, in)
		}
	})
	w, _ := kzlib.NewWriterLevel(nil, kzlib.BestSpeed)
	b.Run("klauspost_level1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			z.Reset()
			w.Reset(&z)
			w.Write(in)
			w.Close()
		}
	})
}

// FuzzTinyDeflate: whatever the input, tinyDeflate either declines, writing
// nothing, or writes a zlib stream at least two bytes shorter that inflates
// back to the input.
func FuzzTinyDeflate(f *testing.F) {
	for _, in := range tinyInputs()[:40] {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var z bytes.Buffer
		if !tinyDeflate(&z, in) {
			if z.Len() != 0 {
				t.Fatalf("declined but wrote %d bytes", z.Len())
			}
			return
		}
		if !keeps(z.Len(), len(in)) {
			t.Fatalf("%d bytes: a %d-byte stream", len(in), z.Len())
		}
		got, err := Decompress(z.Bytes(), 0)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%q: inflated %q, %v", in, got, err)
		}
	})
}
