package signing

import "encoding/binary"

// fastMargin is the output room the fast loop needs per iteration: three
// literals, or two and a 258-byte match copied 8 bytes at a time.
const fastMargin = 3 + 258 + 8

// huffman decodes one Huffman-coded block with the tables lt and dt: the
// fast loop while at least 16 input bytes and fastMargin bytes of output
// room remain, one careful symbol at a time otherwise.
func (f *inflater) huffman(lt *[litTableSize]uint32, dt *[distTableSize]uint32) error {
	for {
		if done, err := f.fast(lt, dt); done || err != nil {
			return err
		}
		if done, err := f.symbol(lt, dt); done || err != nil {
			return err
		}
	}
}

// fast decodes symbols while no bound needs checking: every refill reads 8
// whole bytes, every write has room. It returns done at the end of the
// block, and neither done nor an error when the careful path must take
// over. The state lives in locals (registers) and is written back on exit.
// A refill leaves at least 56 bits and a literal's code takes at most 15,
// so up to three literals are decoded per refill: that step is written out
// three times on purpose, the loop's hot path.
func (f *inflater) fast(lt *[litTableSize]uint32, dt *[distTableSize]uint32) (done bool, err error) {
	in, pos, bb, bl := f.in, f.pos, f.bb, f.bl
	buf, op, base := f.buf, f.op, f.base
	for pos <= len(in)-16 && op <= len(buf)-fastMargin {
		bb |= binary.LittleEndian.Uint64(in[pos:]) << (bl & 63)
		pos += int((63 - bl) >> 3)
		bl |= 56
		e := lt[bb&litMask]
		if e&entSub != 0 {
			e = lt[(uint(e>>16)+uint(bb>>litRootBits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
		}
		if int32(e) < 0 {
			n := uint(e & 0xff)
			bb >>= n & 63
			bl -= n
			buf[op] = byte(e >> 16)
			op++
			e = lt[bb&litMask]
			if e&entSub != 0 {
				e = lt[(uint(e>>16)+uint(bb>>litRootBits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
			}
			if int32(e) < 0 {
				n := uint(e & 0xff)
				bb >>= n & 63
				bl -= n
				buf[op] = byte(e >> 16)
				op++
				e = lt[bb&litMask]
				if e&entSub != 0 {
					e = lt[(uint(e>>16)+uint(bb>>litRootBits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
				}
				if int32(e) < 0 {
					n := uint(e & 0xff)
					bb >>= n & 63
					bl -= n
					buf[op] = byte(e >> 16)
					op++
					continue
				}
			}
		}
		n := uint(e & 0xff)
		bb >>= n & 63
		bl -= n
		if e&(entEOB|entBad) != 0 {
			f.pos, f.bb, f.bl, f.op = pos, bb, bl, op
			if e&entEOB != 0 {
				return true, nil
			}
			return false, f.corrupt("invalid literal/length code")
		}
		x := uint(e >> 8 & 15)
		length := int(e>>16) + int(bb&(1<<x-1))
		bb >>= x
		bl -= x

		bb |= binary.LittleEndian.Uint64(in[pos:]) << (bl & 63)
		pos += int((63 - bl) >> 3)
		bl |= 56
		e = dt[bb&distMask]
		if e&entSub != 0 {
			e = dt[(uint(e>>16)+uint(bb>>distRootBits)&(1<<(e>>8&15)-1))&(distTableSize-1)]
		}
		n = uint(e & 0xff)
		bb >>= n & 63
		bl -= n
		x = uint(e >> 8 & 15)
		dist := int(e>>16) + int(bb&(1<<x-1))
		bb >>= x
		bl -= x
		if e&entBad != 0 || dist > op-base {
			f.pos, f.bb, f.bl, f.op = pos, bb, bl, op
			if e&entBad != 0 {
				return false, f.corrupt("invalid distance code")
			}
			return false, f.corrupt("invalid distance too far back")
		}
		end := op + length
		src := op - dist
		switch {
		case dist >= 8:
			// Most matches are short: one 8-byte copy, a second, then a loop.
			binary.LittleEndian.PutUint64(buf[op:], binary.LittleEndian.Uint64(buf[src:]))
			if length > 8 {
				binary.LittleEndian.PutUint64(buf[op+8:], binary.LittleEndian.Uint64(buf[src+8:]))
				for op, src = op+16, src+16; op < end; op, src = op+8, src+8 {
					binary.LittleEndian.PutUint64(buf[op:], binary.LittleEndian.Uint64(buf[src:]))
				}
			}
		case dist == 1:
			v := uint64(buf[src]) * 0x0101010101010101
			for op < end {
				binary.LittleEndian.PutUint64(buf[op:], v)
				op += 8
			}
		default:
			for ; op < end; op++ {
				buf[op] = buf[op-dist]
			}
		}
		op = end
	}
	f.pos, f.bb, f.bl, f.op = pos, bb, bl, op
	return false, nil
}

// symbol decodes one symbol with every bound checked: input past its end
// reads as zeros, and consuming any of them is a truncated stream; output
// grows as needed, up to the limit.
func (f *inflater) symbol(lt *[litTableSize]uint32, dt *[distTableSize]uint32) (done bool, err error) {
	f.refill()
	e := lt[f.bb&litMask]
	if e&entSub != 0 {
		e = lt[(uint(e>>16)+uint(f.bb>>litRootBits)&(1<<(e>>8&15)-1))&(litTableSize-1)]
	}
	f.drop(uint(e & 0xff))
	if e&(entEOB|entBad) != 0 {
		if e&entEOB != 0 {
			return true, nil
		}
		return false, f.corrupt("invalid literal/length code")
	}
	if int32(e) < 0 {
		if f.overrun() {
			return false, errTruncated
		}
		if f.op >= len(f.buf) && !f.grow(f.op+1) {
			return false, f.tooLarge()
		}
		f.buf[f.op] = byte(e >> 16)
		f.op++
		return false, nil
	}
	length := int(e>>16) + int(f.take(uint(e>>8&15)))
	e = dt[f.bb&distMask]
	if e&entSub != 0 {
		e = dt[(uint(e>>16)+uint(f.bb>>distRootBits)&(1<<(e>>8&15)-1))&(distTableSize-1)]
	}
	f.drop(uint(e & 0xff))
	if e&entBad != 0 {
		return false, f.corrupt("invalid distance code")
	}
	dist := int(e>>16) + int(f.take(uint(e>>8&15)))
	if f.overrun() {
		return false, errTruncated
	}
	if dist > f.op-f.base {
		return false, f.corrupt("invalid distance too far back")
	}
	end := f.op + length
	if end > len(f.buf) && !f.grow(end) {
		return false, f.tooLarge()
	}
	buf := f.buf
	for op := f.op; op < end; op++ {
		buf[op] = buf[op-dist]
	}
	f.op = end
	return false, nil
}
