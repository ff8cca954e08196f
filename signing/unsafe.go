package signing

import "unsafe"

// bytesOf views s as a byte slice without copying. The slice must only be
// read (hash writes, comparisons, decoding input), never modified or kept.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// stringOf views b as a string without copying. b must not change afterwards.
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
