package pickle

// The pickle opcodes (Lib/pickle.py names). Only those of the safe subset
// are decoded; the others are listed so that a refusal can name them.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'

	// Protocol 2.
	opProto    = 0x80
	opNewObj   = 0x81
	opExt1     = 0x82
	opExt2     = 0x83
	opExt4     = 0x84
	opTuple1   = 0x85
	opTuple2   = 0x86
	opTuple3   = 0x87
	opNewTrue  = 0x88
	opNewFalse = 0x89
	opLong1    = 0x8a
	opLong4    = 0x8b

	// Protocol 3.
	opBinBytes      = 'B'
	opShortBinBytes = 'C'

	// Protocol 4.
	opShortBinUnicode = 0x8c
	opBinUnicode8     = 0x8d
	opBinBytes8       = 0x8e
	opEmptySet        = 0x8f
	opAddItems        = 0x90
	opFrozenSet       = 0x91
	opNewObjEx        = 0x92
	opStackGlobal     = 0x93
	opMemoize         = 0x94
	opFrame           = 0x95

	// Protocol 5.
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadonlyBuffer = 0x98
)

// opNames names the opcodes in errors. A named opcode that the decoder does
// not implement is refused (ErrRefused): it instantiates classes, calls hooks
// or belongs to the text protocols 0 and 1, which CPython never writes at
// protocols 2–5 for session values. An unnamed byte is malformed.
var opNames = map[byte]string{
	opBuild: "BUILD", opInst: "INST", opObj: "OBJ", opNewObj: "NEWOBJ",
	opNewObjEx: "NEWOBJ_EX", opExt1: "EXT1", opExt2: "EXT2", opExt4: "EXT4",
	opPersID: "PERSID", opBinPersID: "BINPERSID", opNextBuffer: "NEXT_BUFFER",
	opReadonlyBuffer: "READONLY_BUFFER", opPop: "POP", opPopMark: "POP_MARK",
	opDup: "DUP", opFloat: "FLOAT", opInt: "INT", opLong: "LONG",
	opString: "STRING", opBinString: "BINSTRING", opShortBinString: "SHORT_BINSTRING",
	opUnicode: "UNICODE", opDict: "DICT", opGet: "GET", opList: "LIST", opPut: "PUT",
	opTuple: "TUPLE", opGlobal: "GLOBAL", opReduce: "REDUCE", opStackGlobal: "STACK_GLOBAL",
}
