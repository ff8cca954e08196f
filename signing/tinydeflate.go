package signing

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"math/bits"
	"slices"
	"sync"
)

// A deflate encoder for small inputs.
//
// A session of a logged-in user is about 170 bytes of JSON. A general
// deflate writer spends most of its time on such an input setting up: the
// match finder's tables and, above all, the dynamic Huffman stage, built for
// the whole 286-symbol alphabet whatever few symbols appear. This encoder
// does the same work sized to the input: a greedy match search over a
// 1024-slot hash table, Huffman codes built over the symbols used, and the
// smaller of a dynamic and a fixed block. Its streams are ordinary zlib:
// the tests inflate every one with CPython's zlib (Django's), Go's and
// klauspost's.
//
// Django keeps the compressed form only when it is at least two bytes
// shorter, and so does this package. tinyDeflate answers only when its
// stream is that short; otherwise zlibCompress falls back to the general
// writer, so the decision is then exactly the one made before this encoder
// existed. When it answers, CPython's stream would have been kept too
// (TestCompressedSizeAgainstCPython checks that Go never compresses what
// Django leaves uncompressed); the general writer's may not have been, as
// it stores short and high-entropy inputs that this encoder still shrinks.

const (
	tinyMax      = smallInput - 1 // the largest input; distances and positions fit in uint16
	tinyHashBits = 10
	tinyMinMatch = 4
	tinyMaxMatch = 258
	// tinyMargin is how much shorter than Django's threshold a stream must
	// be for tinyDeflate to answer: as much as this encoder's stream may be
	// shorter than CPython's (cpythonShorterBy, the bound the tests hold it
	// to), so that when it answers, Django's own stream would have been
	// kept too.
	tinyMargin = 4
)

// The fixed block's code lengths (RFC 1951, 3.2.6), and the order in which a
// dynamic block sends the code length code's lengths: written once, for the
// deflater here and the inflater (inflate.go).
var (
	fixedLitLens  = fixedLengths()
	codeLenOrder  = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	fixedLitCodes = func() (c [288]uint16) {
		canonicalCodes(fixedLitLens[:], usedSymbols(fixedLitLens[:], nil), c[:])
		return c
	}()
	fixedDistLens = [30]uint8{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}
	fixedDistCode = func() (c [30]uint16) {
		canonicalCodes(fixedDistLens[:], usedSymbols(fixedDistLens[:], nil), c[:])
		return c
	}()
)

func fixedLengths() (l [288]uint8) {
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	return l
}

// lengthCode returns the length symbol (257–285) of a match length, with
// its extra bits' count and value.
func lengthCode(length int) (sym int, nb uint, extra uint32) {
	lc := length - 3
	switch {
	case lc < 8:
		return 257 + lc, 0, 0
	case lc == 255:
		return 285, 0, 0
	}
	nb = uint(bits.Len(uint(lc))) - 3
	return 257 + 4*int(nb) + 4 + (lc>>nb)&3, nb, uint32(lc) & (1<<nb - 1)
}

// distCode returns the distance symbol (0–29) of a distance, with its
// extra bits' count and value.
func distCode(dist int) (sym int, nb uint, extra uint32) {
	dd := dist - 1
	if dd < 4 {
		return dd, 0, 0
	}
	nb = uint(bits.Len(uint(dd))) - 2
	return 2*int(nb) + 2 + (dd>>nb)&1, nb, uint32(dd) & (1<<nb - 1)
}

// canonicalCodes sets codes to the canonical Huffman code with these
// lengths, bit-reversed as deflate sends them. used lists the symbols of
// non-zero length in increasing order (it is much shorter than lens, and
// counting over all of lens would be a chain of dependent increments).
func canonicalCodes(lens []uint8, used []uint16, codes []uint16) {
	var count, next [16]uint16
	for _, s := range used {
		count[lens[s]]++
	}
	code := uint16(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for _, s := range used {
		l := lens[s]
		codes[s] = bits.Reverse16(next[l]) >> (16 - l)
		next[l]++
	}
}

// usedSymbols appends to buf, in increasing order, the symbols of non-zero
// length.
func usedSymbols(lens []uint8, buf []uint16) []uint16 {
	for s, l := range lens {
		if l > 0 {
			buf = append(buf, uint16(s))
		}
	}
	return buf
}

// symbolSet is a set of the symbols 0–319 (literal/length, distance or
// code length symbols), as a bitmap: the encoder visits the few symbols an
// input uses, in increasing order, instead of whole alphabets.
type symbolSet [5]uint64

func (u *symbolSet) add(s int) { u[s>>6] |= 1 << (s & 63) }

// appendTo appends the symbols in increasing order.
func (u *symbolSet) appendTo(buf []uint16) []uint16 {
	for w, bitsLeft := range u {
		for bitsLeft != 0 {
			buf = append(buf, uint16(w<<6+bits.TrailingZeros64(bitsLeft)))
			bitsLeft &= bitsLeft - 1
		}
	}
	return buf
}

// huffmanLengths sets lens[s] to the length of each symbol s of used in a
// Huffman code for freq (weights below 1<<20); lens is zero elsewhere.
// With fewer than two symbols used, it adds unused ones so that the code is
// complete (inflaters refuse some incomplete codes), and returns used with
// them. It reports false when a length exceeds maxLen.
func (t *tinyState) huffmanLengths(freq []uint32, used []uint16, lens []uint8, maxLen uint8) ([]uint16, bool) {
	for s := uint16(0); len(used) < 2; s++ {
		if freq[s] == 0 && (len(used) == 0 || used[0] != s) {
			used = append(used, s)
		}
	}
	if len(used) == 2 && used[0] > used[1] {
		used[0], used[1] = used[1], used[0]
	}
	// The leaves as weight<<9 | symbol, sorted: by weight, then symbol.
	leaves := t.leaves[:len(used)]
	for i, s := range used {
		leaves[i] = max(freq[s], 1)<<9 | uint32(s)
	}
	slices.Sort(leaves)
	k := len(leaves)
	// Two queues: the sorted leaves, and the internal nodes in the order
	// they are made (which is also by weight). Nodes 0..k-1 are the leaves.
	weight, parent, depth := &t.weight, &t.parent, &t.depth
	for i, l := range leaves {
		weight[i] = l >> 9
	}
	li, ni, next := 0, k, k
	for next < 2*k-1 {
		var ab [2]int
		for j := range ab {
			if li < k && (ni >= next || weight[li] <= weight[ni]) {
				ab[j] = li
				li++
			} else {
				ab[j] = ni
				ni++
			}
		}
		weight[next] = weight[ab[0]] + weight[ab[1]]
		parent[ab[0]], parent[ab[1]] = uint16(next), uint16(next)
		next++
	}
	// Depths from the root (the last node) down; a parent comes after its
	// children, so one backward pass sees each parent first.
	depth[2*k-2] = 0
	for n := 2*k - 3; n >= 0; n-- {
		depth[n] = depth[parent[n]] + 1
	}
	for i, l := range leaves {
		if depth[i] > maxLen {
			return used, false
		}
		lens[l&511] = depth[i]
	}
	return used, true
}

// A bitWriter packs bits LSB first, as deflate does.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint32, nb uint) {
	w.acc |= uint64(v) << w.n
	w.n += nb
	if w.n >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.n -= 32
	}
}

func (w *bitWriter) flush() {
	for w.n > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= min(w.n, 8)
	}
}

// tinyState is tinyDeflate's memory, reused through tinyPool: clearing the
// few tables that need it costs less than a fresh frame of them.
type tinyState struct {
	table    [1 << tinyHashBits]uint16 // position+1 of the latest 4 bytes hashed there; 0 for none
	tokens   [tinyMax]uint32           // a literal byte, or length<<16 | distance
	litFreq  [286]uint32
	distFreq [30]uint32
	clFreq   [19]uint32
	litLens  [286]uint8
	distLens [30]uint8
	clLens   [19]uint8
	used     [288 + 32 + 19]uint16 // the symbols used, per alphabet
	rle      [286 + 30]uint16      // the code lengths' code: symbol | extra value << 5
	litCodes [286]uint16
	dstCodes [30]uint16
	clCodes  [19]uint16
	leaves   [288]uint32
	weight   [2 * 288]uint32
	parent   [2 * 288]uint16
	depth    [2 * 288]uint8
}

var tinyPool = sync.Pool{New: func() any { return new(tinyState) }}

// tinyHash is the match table's slot for the 4 bytes at data[i:].
func tinyHash(data []byte, i int) uint32 {
	return (binary.LittleEndian.Uint32(data[i:]) * 0x9E3779B1) >> (32 - tinyHashBits)
}

// tinyDeflate appends to dst the zlib stream of data (at most tinyMax bytes)
// and reports true, if that stream is shorter than data by more than
// tinyMargin bytes; else it appends nothing and reports false.
func tinyDeflate(dst *bytes.Buffer, data []byte) bool {
	n := len(data)
	if n > tinyMax || n < compressMinLen {
		return false
	}
	t := tinyPool.Get().(*tinyState)
	defer tinyPool.Put(t)
	clear(t.table[:])
	clear(t.litFreq[:])
	clear(t.distFreq[:])
	clear(t.clFreq[:])
	clear(t.litLens[:])
	clear(t.distLens[:])
	clear(t.clLens[:])

	// Greedy LZ77: the latest earlier position with the same 4 bytes.
	table, tokens, litFreq, distFreq := &t.table, &t.tokens, &t.litFreq, &t.distFreq
	var litSet, distSet symbolSet
	nt := 0
	for i := 0; i < n; {
		if i+tinyMinMatch <= n {
			h := tinyHash(data, i)
			cand := int(table[h]) - 1
			table[h] = uint16(i + 1)
			if cand >= 0 && binary.LittleEndian.Uint32(data[cand:]) == binary.LittleEndian.Uint32(data[i:]) {
				l := tinyMinMatch
				for i+l < n && l < tinyMaxMatch && data[cand+l] == data[i+l] {
					l++
				}
				tokens[nt] = uint32(l)<<16 | uint32(i-cand)
				nt++
				ls, _, _ := lengthCode(l)
				ds, _, _ := distCode(i - cand)
				litFreq[ls]++
				distFreq[ds]++
				litSet.add(ls)
				distSet.add(ds)
				for j := i + 1; j < i+l && j+tinyMinMatch <= n; j++ {
					table[tinyHash(data, j)] = uint16(j + 1)
				}
				i += l
				continue
			}
		}
		c := data[i]
		tokens[nt] = uint32(c)
		nt++
		litFreq[c]++
		litSet.add(int(c))
		i++
	}
	litFreq[256]++ // end of block
	litSet.add(256)

	// The dynamic block's codes, and its size against the fixed block's.
	litLens, distLens, clLens := t.litLens[:], t.distLens[:], t.clLens[:]
	litUsed, ok1 := t.huffmanLengths(litFreq[:], litSet.appendTo(t.used[:0:288]), litLens, 15)
	distUsed, ok2 := t.huffmanLengths(distFreq[:], distSet.appendTo(t.used[288:288:320]), distLens, 15)
	if !ok1 || !ok2 {
		return false // cannot happen below 512 bytes of input; the general writer then decides
	}
	hlit := max(int(litUsed[len(litUsed)-1])+1, 257)
	hdist := int(distUsed[len(distUsed)-1]) + 1

	// The code lengths, run-length coded: runs of zeros lie between the
	// used symbols, and runs of one length among consecutive used ones.
	rle, clFreq := &t.rle, &t.clFreq
	var clSet symbolSet
	nr := 0
	emit := func(sym int, extra int) {
		rle[nr] = uint16(sym | extra<<5)
		nr++
		clFreq[sym]++
		clSet.add(sym)
	}
	emitRun := func(l uint8, run int) {
		if l == 0 {
			for run >= 11 {
				r := min(run, 138)
				emit(18, r-11)
				run -= r
			}
			if run >= 3 {
				emit(17, run-3)
				run = 0
			}
		} else {
			emit(int(l), 0)
			run--
			for run >= 3 {
				r := min(run, 6)
				emit(16, r-3)
				run -= r
			}
		}
		for ; run > 0; run-- {
			emit(int(l), 0)
		}
	}
	// One sequence: the hlit literal/length lengths, then the hdist
	// distance lengths; pos is the next position in it.
	curLen, curRun, pos := uint8(0), 0, 0
	put := func(l uint8, count int) {
		if count == 0 {
			return
		}
		if l == curLen {
			curRun += count
		} else {
			emitRun(curLen, curRun)
			curLen, curRun = l, count
		}
		pos += count
	}
	for _, s := range litUsed {
		put(0, int(s)-pos)
		put(litLens[s], 1)
	}
	put(0, hlit-pos)
	for _, s := range distUsed {
		put(0, hlit+int(s)-pos)
		put(distLens[s], 1)
	}
	emitRun(curLen, curRun)

	clUsed, ok := t.huffmanLengths(clFreq[:], clSet.appendTo(t.used[320:320]), clLens, 7)
	if !ok {
		return false
	}
	hclen := 19
	for hclen > 4 && clLens[codeLenOrder[hclen-1]] == 0 {
		hclen--
	}
	clExtra := [19]uint8{16: 2, 17: 3, 18: 7}
	dynBits, fixBits := 3+5+5+4+3*hclen, 3
	for _, r := range rle[:nr] {
		s := r & 31
		dynBits += int(clLens[s] + clExtra[s])
	}
	for _, s := range litUsed {
		f := int(litFreq[s])
		extra := 0
		if 265 <= s && s < 285 {
			extra = (int(s) - 261) / 4
		}
		dynBits += f * (int(litLens[s]) + extra)
		fixBits += f * (int(fixedLitLens[s]) + extra)
	}
	for _, s := range distUsed {
		f := int(distFreq[s])
		extra := 0
		if s >= 4 {
			extra = int(s)/2 - 1
		}
		dynBits += f * (int(distLens[s]) + extra)
		fixBits += f * (5 + extra)
	}
	size := 2 + (min(dynBits, fixBits)+7)/8 + 4
	if size+tinyMargin >= n-1 {
		return false
	}

	w := bitWriter{out: dst.AvailableBuffer()}
	w.out = append(w.out, 0x78, 0x01) // deflate, 32 KiB window, no dictionary
	var litCodes, distCodes []uint16
	var litL, distL []uint8
	if dynBits <= fixBits {
		w.bits(1|2<<1, 3) // final block, dynamic codes
		w.bits(uint32(hlit-257), 5)
		w.bits(uint32(hdist-1), 5)
		w.bits(uint32(hclen-4), 4)
		for _, s := range codeLenOrder[:hclen] {
			w.bits(uint32(clLens[s]), 3)
		}
		canonicalCodes(clLens, clUsed, t.clCodes[:])
		for _, r := range rle[:nr] {
			s := r & 31
			w.bits(uint32(t.clCodes[s]), uint(clLens[s]))
			if clExtra[s] > 0 {
				w.bits(uint32(r>>5), uint(clExtra[s]))
			}
		}
		canonicalCodes(litLens, litUsed, t.litCodes[:])
		canonicalCodes(distLens, distUsed, t.dstCodes[:])
		litCodes, distCodes = t.litCodes[:], t.dstCodes[:]
		litL, distL = litLens, distLens
	} else {
		w.bits(1|1<<1, 3) // final block, fixed codes
		litCodes, distCodes = fixedLitCodes[:], fixedDistCode[:]
		litL, distL = fixedLitLens[:], fixedDistLens[:]
	}
	for _, tok := range tokens[:nt] {
		if tok < 256 {
			w.bits(uint32(litCodes[tok]), uint(litL[tok]))
			continue
		}
		l, d := int(tok>>16), int(tok&0xFFFF)
		ls, lnb, lx := lengthCode(l)
		w.bits(uint32(litCodes[ls]), uint(litL[ls]))
		w.bits(lx, lnb)
		ds, dnb, dx := distCode(d)
		w.bits(uint32(distCodes[ds]), uint(distL[ds]))
		w.bits(dx, dnb)
	}
	w.bits(uint32(litCodes[256]), uint(litL[256]))
	w.flush()
	w.out = binary.BigEndian.AppendUint32(w.out, adler32.Checksum(data))
	dst.Write(w.out)
	return true
}
