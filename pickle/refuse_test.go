package pickle

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// sbu is SHORT_BINUNICODE s.
func sbu(s string) string {
	return hex.EncodeToString(append([]byte{opShortBinUnicode, byte(len(s))}, s...))
}

func TestRefused(t *testing.T) {
	cases := []struct {
		name, hex, want string
	}{
		{"os.system GLOBAL+REDUCE", "8002 " + hex.EncodeToString([]byte("cos\nsystem\n")) + sbu("id") + "85 52 2e", "os.system"},
		{"posix.system STACK_GLOBAL", "8004 " + sbu("posix") + sbu("system") + "93" + sbu("id") + "85 52 2e", "posix.system"},
		{"builtins.eval", "8004 " + sbu("builtins") + sbu("eval") + "93" + sbu("1") + "85 52 2e", "builtins.eval"},
		{"__builtin__.eval at proto 2", "8002 " + hex.EncodeToString([]byte("c__builtin__\neval\n")) + sbu("1") + "85 52 2e", "__builtin__.eval"},
		{"subprocess.Popen", "8004 " + sbu("subprocess") + sbu("Popen") + "93" + sbu("ls") + "85 52 2e", "subprocess.Popen"},
		{"dotted getattr path", "8004 " + sbu("datetime") + sbu("datetime.__reduce__") + "93 2e", "datetime.datetime.__reduce__"},
		{"INST", "8002 28 " + hex.EncodeToString([]byte("ios\nsystem\n")) + " 2e", "INST"},
		{"OBJ", "8002 28 " + hex.EncodeToString([]byte("cdatetime\ndate\n")) + " 6f 2e", "OBJ"},
		{"NEWOBJ datetime", "8004 " + sbu("datetime") + sbu("date") + "93 29 81 2e", "NEWOBJ"},
		{"NEWOBJ_EX", "8004 " + sbu("uuid") + sbu("UUID") + "93 29 7d 92 2e", "NEWOBJ_EX"},
		{"BUILD on a dict", "8004 7d 7d 62 2e", "BUILD"},
		{"BUILD on a datetime", "8004 " + sbu("datetime") + sbu("date") + "93 43 04 07e8021d 85 52 7d 62 2e", "BUILD"},
		{"BUILD twice on a UUID", "8004 " + sbu("uuid") + sbu("UUID") + "93 29 81 7d " + sbu("int") + "4b05 73 62 7d " + sbu("int") + "4b06 73 62 2e", "BUILD"},
		{"UUID with other attribute", "8004 " + sbu("uuid") + sbu("UUID") + "93 29 81 7d " + sbu("__class__") + "4b05 73 62 2e", "uuid.UUID"},
		{"REDUCE of uuid.UUID", "8004 " + sbu("uuid") + sbu("UUID") + "93" + sbu("12345678123456781234567812345678") + "85 52 2e", "uuid.UUID called"},
		{"datetime with a str", "8004 " + sbu("datetime") + sbu("datetime") + "93" + sbu("2024-01-02") + "85 52 2e", "datetime.datetime called with (str)"},
		{"datetime with ints", "8004 " + sbu("datetime") + sbu("datetime") + "93 4de807 4b01 4b02 87 52 2e", "datetime.datetime called"},
		{"datetime with a bad tz", "8004 " + sbu("datetime") + sbu("datetime") + "93 430a07e801020304050a5bf5 4b00 86 52 2e", "datetime.datetime called"},
		{"decimal with a list", "8004 " + sbu("decimal") + sbu("Decimal") + "93 5d 85 52 2e", "decimal.Decimal called with (list)"},
		{"set with a str", "8002 " + hex.EncodeToString([]byte("c__builtin__\nset\n")) + sbu("abc") + "85 52 2e", "builtins.set called"},
		{"getattr other attribute", "8004 " + sbu("builtins") + sbu("getattr") + "93" + sbu("zoneinfo") + sbu("ZoneInfo") + "93" + sbu("__init__") + "86 52 2e", "builtins.getattr called"},
		{"getattr on another class", "8004 " + sbu("builtins") + sbu("getattr") + "93" + sbu("datetime") + sbu("date") + "93" + sbu("_unpickle") + "86 52 2e", "builtins.getattr called"},
		{"ZoneInfo called directly", "8004 " + sbu("zoneinfo") + sbu("ZoneInfo") + "93" + sbu("UTC") + "85 52 2e", "zoneinfo.ZoneInfo called"},
		{"codecs.encode other codec", "8002 " + hex.EncodeToString([]byte("c_codecs\nencode\n")) + sbu("abc") + sbu("rot13") + "86 52 2e", "_codecs.encode called"},
		{"bare global", "8004 " + sbu("datetime") + sbu("date") + "93 2e", "not a value"},
		{"EXT1", "8002 82 01 2e", "EXT1"},
		{"PERSID", "8002 50 " + hex.EncodeToString([]byte("x\n")) + " 2e", "PERSID"},
		{"BINPERSID", "8004 4b01 51 2e", "BINPERSID"},
		{"NEXT_BUFFER", "8005 97 2e", "NEXT_BUFFER"},
		{"protocol 0", hex.EncodeToString([]byte("(dp0\n.")), "PROTO"},
		{"protocol 1", "8001 7d 2e", "protocol: 1"},
		{"text opcode I", "8002 " + hex.EncodeToString([]byte("I1\n.")), "INT"},
		{"self-referencing list", "8004 5d 94 68 00 61 2e", "contains itself"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Unmarshal(h(c.hex))
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Unmarshal = %#v, %v; want ErrRefused", v, err)
			}
			if v != nil {
				t.Errorf("refused pickle returned a value %#v", v)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	huge := func(op byte, n uint64) string {
		b := []byte{0x80, 4, op}
		b = binary.LittleEndian.AppendUint64(b, n)
		return hex.EncodeToString(b)
	}
	cases := map[string]string{
		"empty":                  "",
		"no STOP":                "8004 4b01",
		"truncated BININT":       "8004 4a 0100",
		"truncated str":          "8004 8c 05 6162",
		"BINUNICODE8 2^60":       huge(opBinUnicode8, 1<<60),
		"BINUNICODE8 2^64-1":     huge(opBinUnicode8, 1<<64-1),
		"BINBYTES8 2^62":         huge(opBinBytes8, 1<<62),
		"BYTEARRAY8 huge":        huge(opByteArray8, 1<<63),
		"FRAME beyond input":     huge(opFrame, 1<<40),
		"BINUNICODE 4 GiB":       "8004 58 ffffffff 2e",
		"LONG4 huge":             "8004 8b ffffff7f 2e",
		"LONG4 negative":         "8004 8b ffffffff 2e",
		"bad UTF-8":              "8004 8c 02 c328 2e",
		"stack underflow":        "8004 61 2e",
		"APPEND to int":          "8004 4b01 4b02 61 2e",
		"SETITEMS odd":           "8004 7d 28 4b01 75 2e",
		"no mark":                "8004 5d 65 2e",
		"memo miss":              "8004 68 05 2e",
		"LONG_BINGET huge":       "8004 6a ffffffff 2e",
		"unknown opcode":         "8004 ff 2e",
		"protocol 6":             "8006 4e 2e",
		"STACK_GLOBAL of ints":   "8004 4b01 4b02 93 2e",
		"unhashable dict key":    "8004 7d 5d 4b01 73 2e",
		"unhashable set item":    "8004 8f 28 5d 90 2e",
		"datetime bad day":       "8004 " + sbu("datetime") + sbu("datetime") + "93 430a07e8021e0304050a5bf5 85 52 2e",
		"datetime month 13":      "8004 " + sbu("datetime") + sbu("date") + "93 430407e80d01 85 52 2e",
		"decimal garbage":        "8004 " + sbu("decimal") + sbu("Decimal") + "93" + sbu("3.1.4") + "85 52 2e",
		"timedelta unnormalized": "8004 " + sbu("datetime") + sbu("timedelta") + "93 4b00 4a80510100 4b00 87 52 2e",
		"UUID never built":       "8004 " + sbu("uuid") + sbu("UUID") + "93 29 81 2e",
		"latin1 out of range":    "8002 " + hex.EncodeToString([]byte("c_codecs\nencode\n")) + "8c02c480" + sbu("latin1") + "86 52 2e",
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			v, err := Unmarshal(h(x))
			if !errors.Is(err, ErrMalformed) || v != nil {
				t.Fatalf("Unmarshal = %#v, %v; want ErrMalformed", v, err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	check := func(t *testing.T, data []byte, o Options, want error) {
		t.Helper()
		start := time.Now()
		v, err := UnmarshalOptions(data, o)
		if !errors.Is(err, want) || v != nil {
			t.Fatalf("got %v, %v; want %v", v != nil, err, want)
		}
		if !errors.Is(err, ErrRefused) && (want == ErrTooDeep || want == ErrTooLarge) {
			t.Errorf("%v does not match ErrRefused", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	}
	t.Run("100k MARK EMPTY_LIST", func(t *testing.T) {
		data := append([]byte{0x80, 4}, bytes.Repeat([]byte{opMark, opEmptyList}, 100000)...)
		check(t, append(data, opStop), Options{}, ErrTooDeep)
	})
	t.Run("100k nested lists without MARK", func(t *testing.T) {
		data := append([]byte{0x80, 4}, bytes.Repeat([]byte{opEmptyList}, 100000)...)
		data = append(data, bytes.Repeat([]byte{opAppend}, 99999)...)
		check(t, append(data, opStop), Options{}, ErrTooDeep)
	})
	t.Run("deep through the memo", func(t *testing.T) {
		// l0 = []; l(i+1) = [l(i)], each popped into an outer list: the
		// stack stays small while the nesting grows.
		data := []byte{0x80, 4, opEmptyList, opEmptyList, opMemoize}
		for i := 0; i < 5000; i++ {
			data = append(data, opEmptyList, opLongBinGet)
			data = binary.LittleEndian.AppendUint32(data, uint32(i))
			data = append(data, opAppend, opMemoize, opAppend)
		}
		check(t, append(data, opStop), Options{}, ErrTooDeep)
	})
	t.Run("billion laughs", func(t *testing.T) {
		// l(i+1) = [l(i)] * 10 through the memo: 10^9 items from 150 bytes.
		data := []byte{0x80, 4, opEmptyList, opMemoize}
		for i := 0; i < 9; i++ {
			data = append(data, opEmptyList, opMark)
			for j := 0; j < 10; j++ {
				data = append(data, opBinGet, byte(i))
			}
			data = append(data, opAppends, opMemoize)
		}
		check(t, append(data, opStop), Options{}, ErrTooLarge)
		if _, err := UnmarshalOptions(append(data, opStop), Options{MaxItems: 2e9}); err != nil {
			t.Errorf("with MaxItems 2e9: %v", err) // the DAG itself is small
		}
	})
	t.Run("MaxSize", func(t *testing.T) {
		check(t, make([]byte, 100), Options{MaxSize: 99}, ErrTooLarge)
	})
	t.Run("many items", func(t *testing.T) {
		data := append([]byte{0x80, 4, opEmptyList, opMark}, bytes.Repeat([]byte{opNone}, 2000)...)
		check(t, append(data, opAppends, opStop), Options{MaxItems: 1000}, ErrTooLarge)
	})
	t.Run("memo flood", func(t *testing.T) {
		data := append([]byte{0x80, 4, opNone}, bytes.Repeat([]byte{opMemoize}, 5000)...)
		check(t, append(data, opStop), Options{MaxItems: 1000}, ErrTooLarge)
	})
}

func TestMarshalRefusesCycles(t *testing.T) {
	l := make([]any, 1)
	l[0] = l
	if _, err := Marshal(l, 5); !errors.Is(err, ErrTooDeep) {
		t.Errorf("self-containing list: %v", err)
	}
	tup := make(Tuple, 1)
	tup[0] = tup
	if _, err := Marshal(tup, 5); !errors.Is(err, ErrTooDeep) {
		t.Errorf("self-containing tuple: %v", err)
	}
	if _, err := Marshal(make(chan int), 5); !errors.Is(err, ErrUnsupported) {
		t.Errorf("chan: %v", err)
	}
	if _, err := Marshal(nil, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("protocol 1: %v", err)
	}
	if _, err := Marshal("\xff", 4); !errors.Is(err, ErrUnsupported) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := Marshal(Datetime{Year: 2024, Month: 2, Day: 30}, 4); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Feb 30: %v", err)
	}
}
