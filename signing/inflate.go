package signing

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// A whole-buffer inflater: the compressed payload and its output are both
// in memory, so there is no io.Reader, no window and no resumable state,
// and the hot loop refills a 64-bit bit buffer 8 bytes at a time and copies
// matches 8 bytes at a time (libdeflate's design). Where Go's compress/flate
// and C zlib disagree, it does what zlib does, since Django inflates with
// CPython's zlib.decompress (inflate_test.go holds the cases).

// Decode table entries. A literal has the top bit set and its byte in bits
// 16-23; a length or distance has its base in bits 16-31 and its number of
// extra bits in bits 8-11; a subtable pointer has its offset in bits 16-31
// and its index width in bits 8-11. Bits 0-7 are the codeword's length.
const (
	entLit uint32 = 1 << 31
	entEOB uint32 = 1 << 12
	entSub uint32 = 1 << 13
	entBad uint32 = 1 << 14

	litRootBits  = 10
	distRootBits = 8
	litMask      = 1<<litRootBits - 1
	distMask     = 1<<distRootBits - 1

	// A root table plus its subtables needs at most 1332 entries for 286
	// symbols at 10 bits and 402 for 30 at 8 (zlib's "enough"); powers of
	// two let the hot loop mask its indexes instead of checking them.
	litTableSize  = 2048
	distTableSize = 512
)

// litTemplate and distTemplate are the entries of each symbol without the
// codeword length; fixed tables and dynamic ones are built from them.
var (
	litTemplate  [288]uint32
	distTemplate [32]uint32
)

// fixedLit and fixedDist decode the fixed Huffman codes (RFC 1951 3.2.6).
var (
	fixedLit  [litTableSize]uint32
	fixedDist [distTableSize]uint32
)

func init() {
	for i := range 256 {
		litTemplate[i] = entLit | uint32(i)<<16
	}
	litTemplate[256] = entEOB
	lbase := [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lextra := [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	for i := range 29 {
		litTemplate[257+i] = lbase[i]<<16 | lextra[i]<<8
	}
	litTemplate[286], litTemplate[287] = entBad, entBad
	for i := range 30 {
		extra := uint32(max(i/2-1, 0))
		base := uint32(1)
		if i >= 4 {
			base = (2+uint32(i&1))<<extra + 1
		} else {
			base += uint32(i)
		}
		distTemplate[i] = base<<16 | extra<<8
	}
	distTemplate[30], distTemplate[31] = entBad, entBad

	// The fixed block's lengths are the deflater's (tinydeflate.go); its
	// distance code has 32 codes of 5 bits, of which 30 and 31 are invalid.
	if buildTable(fixedLit[:], fixedLitLens[:], litTemplate[:], litRootBits, false) != "" {
		panic("signing: fixed literal/length code")
	}
	var distLens [32]uint8
	for i := range distLens {
		distLens[i] = 5
	}
	if buildTable(fixedDist[:], distLens[:], distTemplate[:], distRootBits, false) != "" {
		panic("signing: fixed distance code")
	}
}

// buildTable fills table with the decode entries of the canonical Huffman
// code whose lengths are lens (symbol s's entry is tmpl[s] with its
// length), root bits indexing the first level. It returns what is wrong
// with the code, or "". As in zlib's inflate_table, an over-subscribed code
// is refused, and an incomplete one too, except (when !strict) a single
// code of one bit or none at all, whose missing codewords decode as
// entBad.
func buildTable(table []uint32, lens []uint8, tmpl []uint32, root uint, strict bool) string {
	// Four sets of counters, so that runs of equal lengths do not wait on
	// one another's increments.
	var c4 [4][16]uint16
	i := 0
	for ; i+4 <= len(lens); i += 4 {
		c4[0][lens[i]&15]++
		c4[1][lens[i+1]&15]++
		c4[2][lens[i+2]&15]++
		c4[3][lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		c4[0][lens[i]&15]++
	}
	var count [16]uint16
	for l := 1; l < 16; l++ {
		count[l] = c4[0][l] + c4[1][l] + c4[2][l] + c4[3][l]
	}
	maxLen := uint(15)
	for maxLen > 0 && count[maxLen] == 0 {
		maxLen--
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return "over-subscribed"
		}
	}
	if left > 0 && (strict || maxLen > 1) {
		return "incomplete"
	}
	// Symbols sorted by length, then by value. Unused symbols come in runs
	// (a branch predicts them) and are skipped: counting them in offs[0]
	// would chain every iteration on one counter in memory.
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l&15]] = uint16(s)
			offs[l&15]++
		}
	}
	// The root table is filled at the width of each length in turn, then
	// doubled for the next: a code of length l is written once, and the
	// copies make its 2^(root-l) replicas. Only an incomplete code (one
	// 1-bit code, or none) leaves slots free, and they decode as entBad.
	table[0], table[1] = entBad|1, entBad|1
	code := 0
	i = 0
	for l := uint(1); l <= root; l++ {
		if l > 1 {
			copy(table[1<<(l-1):1<<l], table[:1<<(l-1)])
		}
		for range count[l] {
			table[bits.Reverse16(uint16(code))>>(16-l)] = tmpl[sorted[i]] | uint32(l)
			i++
			code++
		}
		code <<= 1
	}
	// Codes longer than root go to subtables, one per root-bit prefix,
	// each as wide as the codes sharing the prefix need (zlib's rule).
	next, prefix, subBase, subBits := uint(1)<<root, ^uint(0), uint(0), uint(0)
	for l := root + 1; l <= maxLen; l++ {
		for range count[l] {
			rev := uint(bits.Reverse16(uint16(code))) >> (16 - l)
			if rev&(1<<root-1) != prefix {
				prefix = rev & (1<<root - 1)
				subBits = l - root
				for room := 1 << subBits; subBits+root < maxLen; {
					room -= int(count[subBits+root])
					if room <= 0 {
						break
					}
					subBits++
					room <<= 1
				}
				if next+1<<subBits > uint(len(table)) {
					return "too large"
				}
				subBase = next
				next += 1 << subBits
				table[prefix] = uint32(subBase)<<16 | entSub | uint32(subBits)<<8 | uint32(root)
			}
			e := tmpl[sorted[i]] | uint32(l)
			i++
			for j := rev >> root; j < 1<<subBits; j += 1 << (l - root) {
				table[subBase+j] = e
			}
			count[l]--
			code++
		}
		code <<= 1
	}
	return ""
}

// inflater holds the decoder's state for one stream and the tables of its
// dynamic blocks; it is reused, never shared.
type inflater struct {
	in    []byte
	pos   int    // next byte of in to load; past len(in) once zeros are loaded
	bb    uint64 // bit buffer, least significant bit first
	bl    uint   // bits in bb
	buf   []byte // the output, as long as its capacity allows
	op    int    // bytes of buf written
	base  int    // where this stream's output starts in buf
	limit int    // base + max

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	clen [1 << 7]uint32
	lens [286 + 30]uint8
}

// refill loads bits until 56 to 63 are buffered, with zeros past the end of
// the input; overrun tells whether any of those zeros were consumed.
func (f *inflater) refill() {
	if f.pos <= len(f.in)-8 {
		f.bb |= binary.LittleEndian.Uint64(f.in[f.pos:]) << (f.bl & 63)
		f.pos += int((63 - f.bl) >> 3)
		f.bl |= 56
		return
	}
	for f.bl < 56 {
		if f.pos < len(f.in) {
			f.bb |= uint64(f.in[f.pos]) << f.bl
		}
		f.pos++
		f.bl += 8
	}
}

// overrun reports whether the bits consumed go past the end of the input.
func (f *inflater) overrun() bool {
	return f.pos > len(f.in) && f.pos*8-int(f.bl) > len(f.in)*8
}

// drop consumes n bits, buffered.
func (f *inflater) drop(n uint) {
	f.bb >>= n & 63
	f.bl -= n
}

// take consumes n <= 56 bits (after a refill) and returns them.
func (f *inflater) take(n uint) uint32 {
	if f.bl < n {
		f.refill()
	}
	v := uint32(f.bb & (1<<n - 1))
	f.bb >>= n
	f.bl -= n
	return v
}

var errTruncated = errorf(ErrMalformed, "zlib: incomplete or truncated stream")

// corrupt is the error for invalid data: zlib's message, or the truncated
// stream's when the bits that made it invalid lie past the end of the input
// (zlib would have waited for more).
func (f *inflater) corrupt(msg string) error {
	if f.overrun() {
		return errTruncated
	}
	return errorf(ErrMalformed, "zlib: "+msg)
}

func (f *inflater) tooLarge() error {
	return errorf(ErrTooLarge, "inflates past "+strconv.Itoa(f.limit-f.base)+" bytes")
}

// grow makes room for the output up to need bytes, doubling, never past
// limit; false when need is past it.
func (f *inflater) grow(need int) bool {
	if need > f.limit {
		return false
	}
	n := min(max(2*len(f.buf), need, 512), f.limit)
	b := append(f.buf[:f.op], make([]byte, n-f.op)...)
	f.buf = b[:min(cap(b), f.limit)]
	return true
}

// inflateAppend inflates the zlib stream data onto dst, producing at most
// max bytes; the errors are Decompress's. The buffer grows as Decompress
// documents: first to about four times the input.
func (f *inflater) inflateAppend(dst, data []byte, max int64) ([]byte, error) {
	f.in, f.pos, f.bb, f.bl = data, 0, 0, 0
	f.base, f.op = len(dst), len(dst)
	f.limit = f.base + int(min(max, int64(^uint(0)>>2)))
	f.buf = dst[:min(cap(dst), f.limit)]
	if guess := f.base + min(4*len(data), f.limit-f.base); len(f.buf) < guess {
		f.grow(guess)
	}
	err := f.stream()
	out := f.buf[:f.op]
	f.in, f.buf = nil, nil
	if err != nil {
		return out[:f.base], err
	}
	return out, nil
}

// stream reads the zlib container (RFC 1950) around the deflate data, in
// zlib's order of checks.
func (f *inflater) stream() error {
	in := f.in
	if len(in) < 2 {
		return errTruncated
	}
	switch cmf, flg := in[0], in[1]; {
	case (uint(cmf)<<8|uint(flg))%31 != 0:
		return errorf(ErrMalformed, "zlib: incorrect header check")
	case cmf&15 != 8:
		return errorf(ErrMalformed, "zlib: unknown compression method")
	case cmf>>4 > 7:
		return errorf(ErrMalformed, "zlib: invalid window size")
	case flg&0x20 != 0:
		if len(in) < 6 {
			return errTruncated
		}
		return errorf(ErrMalformed, "zlib: needs a preset dictionary")
	}
	f.pos = 2
	for {
		hdr := f.take(3)
		var err error
		switch hdr >> 1 {
		case 0:
			err = f.stored()
		case 1:
			err = f.huffman(&fixedLit, &fixedDist)
		case 2:
			if err = f.dynamic(); err == nil {
				err = f.huffman(&f.lit, &f.dist)
			}
		default:
			err = f.corrupt("invalid block type")
		}
		if err != nil {
			return err
		}
		if f.overrun() {
			return errTruncated
		}
		if hdr&1 != 0 {
			break
		}
	}
	// The trailer starts at the next byte boundary: give back the whole
	// bytes still buffered.
	f.pos -= int(f.bl >> 3)
	if f.pos+4 > len(in) {
		return errTruncated
	}
	if binary.BigEndian.Uint32(in[f.pos:]) != adlerSum(f.buf[f.base:f.op]) {
		return errorf(ErrMalformed, "zlib: incorrect data check")
	}
	return nil
}

// stored copies a stored block.
func (f *inflater) stored() error {
	f.take(f.bl & 7)
	n := f.take(16)
	if n != ^f.take(16)&0xffff {
		return f.corrupt("invalid stored block lengths")
	}
	f.pos -= int(f.bl >> 3)
	f.bb, f.bl = 0, 0
	if f.pos > len(f.in) {
		return errTruncated
	}
	avail := min(int(n), len(f.in)-f.pos)
	if f.op+avail > len(f.buf) && !f.grow(f.op+avail) {
		return f.tooLarge()
	}
	copy(f.buf[f.op:], f.in[f.pos:f.pos+avail])
	f.op += avail
	f.pos += avail
	if avail < int(n) {
		return errTruncated
	}
	return nil
}

// dynamic reads a dynamic block's header and builds f.lit and f.dist.
func (f *inflater) dynamic() error {
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return f.corrupt("too many length or distance symbols")
	}
	var cl [19]uint8
	for i := range nclen {
		cl[codeLenOrder[i]] = uint8(f.take(3))
	}
	var clTmpl [19]uint32
	for i := range clTmpl {
		clTmpl[i] = uint32(i) << 16
	}
	lens := f.lens[:nlit+ndist]
	if cl == [19]uint8{} {
		// zlib decodes every length with an empty code as 0 from one bit,
		// and then finds no end-of-block code.
		for range lens {
			f.take(1)
		}
		return f.corrupt("invalid code -- missing end-of-block")
	}
	if msg := buildTable(f.clen[:], cl[:], clTmpl[:], 7, true); msg != "" {
		return f.corrupt("invalid code lengths set")
	}
	for i := 0; i < len(lens); {
		// Literal lengths, the common case, decode in locals, 4 per
		// refill (a code is at most 7 bits).
		if f.bl < 28 {
			f.refill()
		}
		bb, bl := f.bb, f.bl
		e := f.clen[bb&127]
		for n := 0; e>>16 < 16 && n < 4 && i < len(lens); n++ {
			lens[i] = uint8(e >> 16)
			i++
			bb >>= e & 7
			bl -= uint(e & 7)
			e = f.clen[bb&127]
		}
		f.bb, f.bl = bb, bl
		if i == len(lens) || e>>16 < 16 {
			continue
		}
		if f.bl < 14 {
			f.refill()
		}
		e = f.clen[f.bb&127]
		f.drop(uint(e & 7))
		sym := e >> 16
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return f.corrupt("invalid bit length repeat")
			}
			rep, v = 3+int(f.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(f.take(3))
		default:
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lens) {
			return f.corrupt("invalid bit length repeat")
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if f.overrun() {
		return errTruncated
	}
	if lens[256] == 0 {
		return f.corrupt("invalid code -- missing end-of-block")
	}
	if buildTable(f.lit[:], lens[:nlit], litTemplate[:], litRootBits, false) != "" {
		return f.corrupt("invalid literal/lengths set")
	}
	if buildTable(f.dist[:], lens[nlit:], distTemplate[:], distRootBits, false) != "" {
		return f.corrupt("invalid distances set")
	}
	return nil
}
