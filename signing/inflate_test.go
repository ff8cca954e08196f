package signing

import (
	"bytes"
	stdzlib "compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestAdlerSum: adlerSum is hash/adler32's checksum, at every length around
// the word and block boundaries and with all bytes 0xff (the largest sums).
func TestAdlerSum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3<<16+13)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	ff := bytes.Repeat([]byte{0xff}, len(big))
	for _, p := range [][]byte{big, ff} {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 5552, 5553, 1 << 16, 1<<16 + 1, 1<<16 + 7, len(p)} {
			if got, want := adlerSum(p[:n]), adler32.Checksum(p[:n]); got != want {
				t.Errorf("%d bytes of %x...: %08x, want %08x", n, p[0], got, want)
			}
		}
		for n := 0; n < 300; n++ {
			if got, want := adlerSum(p[3:3+n]), adler32.Checksum(p[3:3+n]); got != want {
				t.Errorf("%d bytes: %08x, want %08x", n, got, want)
			}
		}
	}
}

// handBits writes deflate bit streams by hand, least significant bit
// first, for the streams no compressor would write.
type handBits struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *handBits) bits(v uint64, n uint) *handBits {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
	return w
}

// code writes a Huffman codeword, most significant bit first.
func (w *handBits) code(c uint16, n uint) *handBits {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(uint64(c>>uint(i)&1), 1)
	}
	return w
}

func (w *handBits) bytes() []byte {
	out := w.out
	if w.nbits > 0 {
		out = append(out, byte(w.acc))
	}
	return out
}

// canonical returns the canonical codes of lens (RFC 1951 3.2.2).
func canonical(lens []uint8) []uint16 {
	var count, next [17]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	code := uint16(0)
	for l := 1; l <= 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint16, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// zlibWrap puts deflate data in a zlib container with the Adler-32 of want.
func zlibWrap(deflate, want []byte) []byte {
	out := append([]byte{0x78, 0x9c}, deflate...)
	return binary.BigEndian.AppendUint32(out, adler32.Checksum(want))
}

// fixedLitCode is the fixed Huffman code of a literal/length symbol.
func fixedLitCode(sym int) (uint16, uint) {
	switch {
	case sym < 144:
		return uint16(0x30 + sym), 8
	case sym < 256:
		return uint16(0x190 + sym - 144), 9
	case sym < 280:
		return uint16(sym - 256), 7
	default:
		return uint16(0xc0 + sym - 280), 8
	}
}

// hsym is a literal/length symbol; a length's extra bits, distance code
// and distance extra bits follow it.
type hsym struct {
	lit         int // literal/length symbol
	extra, nx   uint64
	dist        int // distance code, -1 for none
	dextra, ndx uint64
}

// fixedBlock writes a final fixed-Huffman block of syms and its end.
func fixedBlock(syms ...hsym) []byte {
	w := new(handBits).bits(1, 1).bits(1, 2)
	for _, s := range syms {
		c, n := fixedLitCode(s.lit)
		w.code(c, n)
		if s.lit > 256 {
			w.bits(s.extra, uint(s.nx))
			w.code(uint16(s.dist), 5)
			w.bits(s.dextra, uint(s.ndx))
		}
	}
	c, n := fixedLitCode(256)
	return w.code(c, n).bytes()
}

func hlit(b byte) hsym { return hsym{lit: int(b), dist: -1} }

// dynamicHeader writes a final dynamic block's header: the code length
// code clens (19 lengths in symbol order), then lens coded with it symbol
// by symbol (values 0-15 only), and returns the writer for the data.
func dynamicHeader(clens [19]uint8, lens []uint8, nlit int) *handBits {
	w := new(handBits).bits(1, 1).bits(2, 2)
	w.bits(uint64(nlit-257), 5).bits(uint64(len(lens)-nlit-1), 5).bits(19-4, 4)
	for _, s := range codeLenOrder {
		w.bits(uint64(clens[s]), 3)
	}
	codes := canonical(clens[:])
	for _, l := range lens {
		w.code(codes[l], uint(clens[l]))
	}
	return w
}

// flatClens codes every length 0-15 in 4 bits and has no repeats.
var flatClens = [19]uint8{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}

// litDist returns 257 literal/length lengths and ndist distance lengths:
// 'a', 'b' and end-of-block in 2 bits, length symbol 257 in 2 bits.
func litDist(dist ...uint8) []uint8 {
	lens := make([]uint8, 257+len(dist))
	lens['a'], lens['b'], lens[256] = 2, 2, 2
	lens = append(lens[:257], 2)
	return append(lens, dist...)
}

// zhdr returns a valid zlib header with the given CMF and flag bits.
func zhdr(cmf, flg byte) []byte {
	flg &^= 31
	flg += byte(31 - (uint(cmf)<<8|uint(flg))%31)
	return []byte{cmf, flg}
}

type inflateCase struct {
	name string
	data []byte
	want string // the output, or the error's message
	err  bool
}

// inflateCases are hand-made streams, one per error Decompress reports and
// per edge case where inflaters could disagree. CPython's zlib.decompress
// is the reference (TestInflateCasesCPython).
func inflateCases() []inflateCase {
	ok := func(name string, deflate []byte, want string) inflateCase {
		return inflateCase{name, zlibWrap(deflate, []byte(want)), want, false}
	}
	bad := func(name string, deflate []byte, msg string) inflateCase {
		return inflateCase{name, zlibWrap(deflate, nil), msg, true}
	}
	ab := fixedBlock(hlit('a'), hlit('b'))
	valid := zlibWrap(ab, []byte("ab"))
	fix286 := new(handBits).bits(1, 1).bits(1, 2)
	c, n := fixedLitCode(286)
	fix286.code(c, n)

	// Dynamic blocks on litDist's code: 'a'=00 'b'=01 EOB=10 len3=11.
	dyn := func(dist []uint8, body func(w *handBits)) []byte {
		w := dynamicHeader(flatClens, litDist(dist...), 258)
		body(w)
		return w.bytes()
	}
	a := func(w *handBits) { w.code(0, 2) }
	eob := func(w *handBits) { w.code(2, 2) }
	match := func(w *handBits, dcode uint16, dbits uint) { w.code(3, 2).code(dcode, dbits) }

	// A code length code with repeats: 0-12 in 4 bits, 13-18 in 5.
	var repClens [19]uint8
	for i := range repClens {
		repClens[i] = 4
		if i >= 13 {
			repClens[i] = 5
		}
	}
	repCodes := canonical(repClens[:])
	repHeader := func(nlit, ndist int) *handBits {
		w := new(handBits).bits(1, 1).bits(2, 2)
		w.bits(uint64(nlit-257), 5).bits(uint64(ndist-1), 5).bits(19-4, 4)
		for _, s := range codeLenOrder {
			w.bits(uint64(repClens[s]), 3)
		}
		return w
	}
	rep := func(w *handBits, s int) *handBits { return w.code(repCodes[s], uint(repClens[s])) }

	cases := []inflateCase{
		{"empty", nil, "incomplete or truncated stream", true},
		{"one byte", []byte{0x78}, "incomplete or truncated stream", true},
		{"header only", []byte{0x78, 0x9c}, "incomplete or truncated stream", true},
		{"header check", append([]byte{0x78, 0x9d}, valid[2:]...), "incorrect header check", true},
		{"method 7", append(zhdr(0x77, 0), valid[2:]...), "unknown compression method", true},
		{"window 64K", append(zhdr(0x88, 0), valid[2:]...), "invalid window size", true},
		{"window 256 bytes", append(zhdr(0x08, 0), valid[2:]...), "ab", false},
		{"preset dictionary", append(append(zhdr(0x78, 0x20), 0, 0, 0, 1), valid[2:]...), "preset dictionary", true},
		{"truncated trailer", valid[:len(valid)-1], "incomplete or truncated stream", true},
		{"no trailer", valid[:len(valid)-4], "incomplete or truncated stream", true},
		{"trailing bytes ignored", append(append([]byte(nil), valid...), "garbage"...), "ab", false},
		{"adler mismatch", append(append([]byte(nil), valid[:len(valid)-1]...), valid[len(valid)-1]^1), "incorrect data check", true},
		ok("stored", []byte{1, 3, 0, 0xfc, 0xff, 'x', 'y', 'z'}, "xyz"),
		ok("stored empty then fixed", append([]byte{0, 0, 0, 0xff, 0xff}, fixedBlock(hlit('q'))...), "q"),
		bad("stored lengths", []byte{1, 3, 0, 0xfd, 0xff, 'x', 'y', 'z'}, "invalid stored block lengths"),
		{"stored truncated", zlibWrap([]byte{1, 3, 0, 0xfc, 0xff, 'x'}, nil)[:9], "incomplete or truncated stream", true},
		bad("block type 3", new(handBits).bits(1, 1).bits(3, 2).bytes(), "invalid block type"),
		bad("fixed literal 286", fix286.bytes(), "invalid literal/length code"),
		bad("fixed distance 30", fixedBlock(hlit('a'), hsym{lit: 257, dist: 30}), "invalid distance code"),
		bad("distance too far back", fixedBlock(hlit('a'), hsym{lit: 257, dist: 1}), "invalid distance too far back"),
		bad("distance at the start", fixedBlock(hsym{lit: 257, dist: 0}), "invalid distance too far back"),
		ok("distance 1 run", fixedBlock(hlit('a'), hsym{lit: 265, extra: 1, nx: 1, dist: 0}), strings.Repeat("a", 13)),
		ok("distance 258", fixedBlock(hlit('a'), hsym{lit: 285, dist: 0}), "a"+strings.Repeat("a", 258)),
		ok("dynamic", dyn([]uint8{1, 1}, func(w *handBits) { a(w); w.code(1, 2); match(w, 1, 1); eob(w) }), "ababa"),
		ok("single distance code", dyn([]uint8{1}, func(w *handBits) { a(w); match(w, 0, 1); eob(w) }), "aaaa"),
		bad("single distance code, other bit", dyn([]uint8{1}, func(w *handBits) { a(w); match(w, 1, 1); eob(w) }), "invalid distance code"),
		ok("no distance codes", dyn([]uint8{0}, func(w *handBits) { a(w); w.code(1, 2); eob(w) }), "ab"),
		bad("no distance codes, a match", dyn([]uint8{0}, func(w *handBits) { a(w); match(w, 0, 1); eob(w) }), "invalid distance code"),
		bad("distances over-subscribed", dyn([]uint8{1, 1, 1}, func(w *handBits) { a(w); eob(w) }), "invalid distances set"),
		bad("distances incomplete", dyn([]uint8{2, 2}, func(w *handBits) { a(w); eob(w) }), "invalid distances set"),
		bad("too many lengths", new(handBits).bits(1, 1).bits(2, 2).bits(30, 5).bits(0, 5).bits(15, 4).bits(0, 57).bytes(), "too many length or distance symbols"),
		bad("too many distances", new(handBits).bits(1, 1).bits(2, 2).bits(0, 5).bits(30, 5).bits(15, 4).bits(0, 57).bytes(), "too many length or distance symbols"),
	}

	// Literal/length codes that are not complete codes with an end.
	litCase := func(name string, set func(l []uint8), msg string) {
		l := litDist(1, 1)
		set(l)
		w := dynamicHeader(flatClens, l, 258)
		a(w)
		eob(w)
		cases = append(cases, bad(name, w.bytes(), msg))
	}
	litCase("missing end-of-block", func(l []uint8) { l[256], l['c'] = 0, 2 }, "invalid code -- missing end-of-block")
	litCase("lengths over-subscribed", func(l []uint8) { l['c'] = 2 }, "invalid literal/lengths set")
	litCase("lengths incomplete", func(l []uint8) { l['b'] = 0 }, "invalid literal/lengths set")
	litCase("lengths incomplete, long", func(l []uint8) { l['b'] = 3 }, "invalid literal/lengths set")
	{
		// One literal/length code, end-of-block, in one bit: an empty
		// block (zlib accepts a lone 1-bit code).
		l := make([]uint8, 258)
		l[256] = 1
		w := dynamicHeader(flatClens, l, 257)
		w.code(0, 1)
		cases = append(cases, ok("lone end-of-block code", w.bytes(), ""))
	}

	// Code length codes: over-subscribed, incomplete, a lone code (which
	// Go's compress/flate accepts and zlib refuses), none at all.
	clenCase := func(name string, set func(c *[19]uint8), msg string) {
		var cl [19]uint8
		set(&cl)
		w := new(handBits).bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(19-4, 4)
		for _, s := range codeLenOrder {
			w.bits(uint64(cl[s]), 3)
		}
		w.bits(0, 64).bits(0, 64).bits(0, 64).bits(0, 64).bits(0, 64)
		cases = append(cases, bad(name, w.bytes(), msg))
	}
	clenCase("code lengths over-subscribed", func(c *[19]uint8) { c[0], c[1], c[2] = 1, 1, 1 }, "invalid code lengths set")
	clenCase("code lengths incomplete", func(c *[19]uint8) { c[0], c[1] = 2, 2 }, "invalid code lengths set")
	clenCase("code lengths lone code", func(c *[19]uint8) { c[8] = 1 }, "invalid code lengths set")
	clenCase("code lengths none", func(c *[19]uint8) {}, "invalid code -- missing end-of-block")

	w := rep(repHeader(257, 1), 16).bits(0, 2)
	cases = append(cases, bad("repeat with no previous length", w.bytes(), "invalid bit length repeat"))
	w = repHeader(257, 1)
	rep(rep(w, 18).bits(127, 7), 18).bits(127, 7) // 276 zeros, 258 lengths
	cases = append(cases, bad("repeat past the last length", w.bytes(), "invalid bit length repeat"))
	return cases
}

// TestInflateCases: each hand-made stream inflates to its output, or fails
// with its message as ErrMalformed, never as a limit.
func TestInflateCases(t *testing.T) {
	for _, c := range inflateCases() {
		got, err := Decompress(c.data, 0)
		switch {
		case !c.err && (err != nil || string(got) != c.want):
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		case c.err && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %q, %v; want an error with %q", c.name, got, err, c.want)
		case c.err && (!errors.Is(err, ErrMalformed) || IsLimit(err)):
			t.Errorf("%s: %v is not ErrMalformed alone", c.name, err)
		}
	}
}

// TestInflateCasesCPython: CPython's zlib.decompress, which Django calls,
// agrees with every hand-made case, including those where Go's
// compress/zlib would not (logged: it takes a preset dictionary whose id is
// the empty dictionary's), with the same messages.
func TestInflateCasesCPython(t *testing.T) {
	py := cpython(t)
	cases := inflateCases()
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(hex.EncodeToString(c.data) + "\n")
	}
	cmd := exec.Command(py, "-c", `import sys, zlib
for l in sys.stdin:
    try:
        print("ok " + zlib.decompress(bytes.fromhex(l.strip())).hex())
    except zlib.error as e:
        print("err " + str(e))`)
	cmd.Stdin = strings.NewReader(in.String())
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(outb), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("python3 answered %d of %d cases", len(lines), len(cases))
	}
	for i, c := range cases {
		kind, rest, _ := strings.Cut(lines[i], " ")
		if testing.Verbose() {
			t.Logf("%s: CPython: %.60s", c.name, lines[i])
		}
		switch {
		case c.err != (kind == "err"):
			t.Errorf("%s: CPython says %s, want error %v", c.name, lines[i], c.err)
		case !c.err && rest != hex.EncodeToString([]byte(c.want)):
			t.Errorf("%s: CPython inflates to %s, want %q", c.name, rest, c.want)
		case c.err && c.name != "preset dictionary" && !strings.HasSuffix(rest, "data: "+c.want):
			// The message is zlib's, but for the preset dictionary
			// (CPython: "Error 2 while decompressing data").
			t.Errorf("%s: CPython says %q, we say %q", c.name, rest, c.want)
		}
		if out, err := goInflate(c.data, 1<<20); (err != nil) != c.err {
			t.Logf("%s: Go's compress/zlib disagrees with CPython: %q, %v", c.name, out, err)
		}
	}
}

// goInflate is compress/zlib's reader, reading at most max+1 bytes.
func goInflate(data []byte, max int64) ([]byte, error) {
	r, err := stdzlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, max+1))
}

// diffInputs are inputs of the shapes compressors treat differently:
// random bytes (stored blocks), text with long and short repeats, JSON,
// runs of one byte, and sizes from 0 to past 32 KiB and 64 KiB (window
// wrap, several blocks).
func diffInputs(r *rand.Rand) [][]byte {
	words := strings.Fields(`session _auth_user_id cart items sku qty price name
		django contrib auth backends ModelBackend é ü 日本 "quoted" \n {}[],:`)
	var out [][]byte
	for _, n := range []int{0, 1, 2, 3, 7, 100, 171, 1049, 4000, 8044, 33000, 70000} {
		rnd := make([]byte, n)
		for i := range rnd {
			rnd[i] = byte(r.Uint32())
		}
		out = append(out, rnd)
		var text bytes.Buffer
		for text.Len() < n {
			text.WriteString(words[r.IntN(len(words))])
			if r.IntN(3) == 0 {
				text.WriteByte(' ')
			}
		}
		out = append(out, text.Bytes()[:n])
		var js bytes.Buffer
		for i := 0; js.Len() < n; i++ {
			js.WriteString(`{"id":` + strconv.Itoa(i*7919%1000) + `,"t":["x` + strconv.Itoa(r.IntN(50)) + `"]},`)
		}
		out = append(out, js.Bytes()[:n])
		out = append(out, bytes.Repeat([]byte{byte(r.Uint32())}, n))
		mixed := append(append(append([]byte(nil), text.Bytes()[:n/2]...), rnd[:n/4]...), text.Bytes()[:n/4]...)
		out = append(out, mixed)
	}
	return out
}

// compressors are zlib writers at every level, Go's and klauspost's.
func compressors() map[string]func([]byte) []byte {
	m := map[string]func([]byte) []byte{}
	for level := -2; level <= 9; level++ {
		m["go/"+strconv.Itoa(level)] = func(p []byte) []byte {
			var b bytes.Buffer
			w, _ := stdzlib.NewWriterLevel(&b, level)
			w.Write(p)
			w.Close()
			return b.Bytes()
		}
		m["klauspost/"+strconv.Itoa(level)] = func(p []byte) []byte { return zlibOf(p, level) }
	}
	m["signing"] = func(p []byte) []byte {
		var b bytes.Buffer
		zlibCompress(&b, p)
		return b.Bytes()
	}
	return m
}

// TestInflateDifferential: every stream of every input at every level
// inflates to the input, as compress/zlib's reader says, into a fresh
// buffer and into a reused one; every proper prefix of a stream is the
// truncated stream CPython calls it; flipping bits gives the same success
// or failure as compress/zlib's reader (checkAgainstGo).
func TestInflateDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sc scratch
	for _, in := range diffInputs(r) {
		for name, compress := range compressors() {
			if len(in) > 10000 && !strings.HasSuffix(name, "/1") && !strings.HasSuffix(name, "/6") && name != "go/0" {
				continue // the large inputs at the levels that differ most
			}
			z := compress(in)
			got, err := Decompress(z, 0)
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("%s, %d bytes: %v, %d bytes differ", name, len(in), err, len(got))
			}
			if got, err := sc.inflate(z, DefaultMaxDecompressedSize); err != nil || !bytes.Equal(got, in) {
				t.Fatalf("%s, %d bytes, reused buffer: %v", name, len(in), err)
			}
			if got, err := AppendDecompress([]byte("prefix"), z, 0); err != nil || string(got[:6]) != "prefix" || !bytes.Equal(got[6:], in) {
				t.Fatalf("%s, %d bytes, appended: %v", name, len(in), err)
			}
			cuts := []int{0, 1, 2, len(z) - 1, len(z) - 4, len(z) - 5}
			for range 8 {
				cuts = append(cuts, r.IntN(len(z)))
			}
			if len(z) < 300 {
				cuts = cuts[:0]
				for i := range len(z) {
					cuts = append(cuts, i)
				}
			}
			for _, n := range cuts {
				if n < 0 {
					continue
				}
				if _, err := Decompress(z[:n], 0); err != errTruncated {
					t.Fatalf("%s, %d bytes cut to %d of %d: %v", name, len(in), n, len(z), err)
				}
			}
			for range 8 {
				bad := append([]byte(nil), z...)
				bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
				checkAgainstGo(t, bad, 1<<20)
			}
		}
	}
}

// checkAgainstGo checks Decompress(data, max) against compress/zlib's
// reader: the same output, or both refuse, ErrTooLarge exactly when the
// reader gives more than max bytes. Where zlib (CPython) and Go's reader
// disagree, CPython wins: zlib refuses a preset dictionary even when its id
// is the empty dictionary's, and refuses at once a literal/length code with
// no end-of-block code, which Go's reader may decode past max first.
func checkAgainstGo(t *testing.T, data []byte, max int64) {
	t.Helper()
	got, err := Decompress(data, max)
	want, werr := goInflate(data, max)
	fdict := len(data) >= 2 && data[1]&0x20 != 0
	switch {
	case err != nil && !inputClass(err):
		t.Fatalf("%x: error %v is not one class", data, err)
	case int64(len(want)) > max:
		if err == nil || !errors.Is(err, ErrTooLarge) && !fdict && !strings.HasSuffix(err.Error(), "missing end-of-block") {
			t.Fatalf("%x: %v, want ErrTooLarge (Go's reader gave %d bytes)", data, err, len(want))
		}
	case werr == nil:
		if fdict && err != nil {
			return
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%x: %d bytes, %v; Go's reader %d bytes", data, len(got), err, len(want))
		}
	case err == nil || errors.Is(err, ErrLimit):
		t.Fatalf("%x: %d bytes, %v; Go's reader: %v", data, len(got), err, werr)
	}
}

// TestInflateLimit: output of exactly max bytes inflates, one byte more is
// ErrTooLarge, whatever block makes the last byte (stored, literal,
// match), into fresh and appended buffers; and a bomb refused at max has
// allocated about max bytes, not what it would inflate to.
func TestInflateLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	rnd := make([]byte, 5000)
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	for _, in := range [][]byte{rnd, bytes.Repeat([]byte("abcdefgh"), 1000), []byte(strings.Repeat("x", 4999) + "y")} {
		for _, level := range []int{0, 1, 6, 9} {
			z := zlibOf(in, level)
			n := int64(len(in))
			if got, err := Decompress(z, n); err != nil || !bytes.Equal(got, in) {
				t.Fatalf("level %d, max = length %d: %v", level, n, err)
			}
			for _, max := range []int64{n - 1, n / 2, 1} {
				_, err := Decompress(z, max)
				limitOnly(t, "Decompress", err, ErrTooLarge, max)
				got, err := AppendDecompress([]byte("ab"), z, max)
				if !errors.Is(err, ErrTooLarge) || string(got) != "ab" {
					t.Fatalf("level %d, max %d: appended %.10q, %v", level, max, got, err)
				}
			}
		}
	}
	// The buffer doubles up to max: about 2*max in all, far from 64 MiB
	// (TotalAlloc is the process's: the least of a few tries).
	bomb := zerosBomb(64)
	least := uint64(1 << 62)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Decompress(bomb, 1<<20)
		runtime.ReadMemStats(&after)
		limitOnly(t, "bomb", err, ErrTooLarge, 1<<20)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	if least > 4<<20 {
		t.Errorf("a bomb refused at 1 MiB allocated %d bytes", least)
	}
}

// FuzzInflate: for any bytes, Decompress gives compress/zlib's reader's
// output or fails when it fails (checkAgainstGo), never panics, and reads
// the same into a reused, appended buffer. The seeds (testdata) are the
// hand-made cases and streams from each compressor.
func FuzzInflate(f *testing.F) {
	var sc scratch
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstGo(t, data, 1<<16)
		got, err := Decompress(data, 1<<16)
		again, err2 := sc.inflate(data, 1<<16)
		if (err == nil) != (err2 == nil) || !bytes.Equal(got, again) {
			t.Fatalf("%x: reused buffer: %v, fresh: %v", data, err2, err)
		}
	})
}
