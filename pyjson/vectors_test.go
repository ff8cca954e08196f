package pyjson

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/djsession/djsession/internal/vectors"
)

// The golden vectors were made by running Django's JSONSerializer under
// CPython (fixtures/vectors/json-bytes.json).
type jsonBytesVectors struct {
	PythonVersion string `json:"python_version"`
	Dumps         []struct {
		PythonRepr string `json:"python_repr"`
		Bytes      string `json:"bytes"`
	} `json:"dumps"`
	DumpsErrors []struct {
		PythonRepr string    `json:"python_repr"`
		Error      pyErrJSON `json:"error"`
	} `json:"dumps_errors"`
	Loads []struct {
		InputLatin1 string     `json:"input_latin1"`
		ResultRepr  string     `json:"result_repr"`
		ResultType  string     `json:"result_type"`
		Error       *pyErrJSON `json:"error"`
	} `json:"loads"`
}

type pyErrJSON struct {
	Exception string `json:"exception"`
	Message   string `json:"message"`
}

func loadVectors(t *testing.T) jsonBytesVectors {
	t.Helper()
	var v jsonBytesVectors
	vectors.Open(t, "fixtures/vectors/json-bytes.json").Into(t, &v, "dumps", "dumps_errors", "loads")
	return v
}

// reencodeOnly marks dumps rows whose Python value has non-str dict keys,
// which a *Dict cannot hold: for those the decoded bytes must re-encode to
// the same bytes.
var reencodeOnly = struct{}{}

// dumpsValues maps each dumps row's python_repr to the Go value it denotes.
func dumpsValues(t *testing.T) map[string]any {
	return map[string]any{
		"None":                                  nil,
		"True":                                  true,
		"False":                                 false,
		"0":                                     int64(0),
		"-1":                                    int64(-1),
		"9007199254740993":                      int64(9007199254740993),
		"9223372036854775808":                   pyInt(t, "9223372036854775808"),
		"18446744073709551616":                  pyInt(t, "18446744073709551616"),
		"-1180591620717411303424":               pyInt(t, "-1180591620717411303424"),
		"1000000000000000000000000000000":       pyInt(t, "1000000000000000000000000000000"),
		"1.0":                                   1.0,
		"-0.0":                                  math.Copysign(0, -1),
		"0.1":                                   0.1,
		"0.5":                                   0.5,
		"100.0":                                 100.0,
		"1000000000000000.0":                    1e15,
		"1e+16":                                 1e16,
		"1.5e+16":                               1.5e16,
		"1.2345678901234568e+17":                1.2345678901234568e+17,
		"1e+21":                                 1e21,
		"1e+22":                                 1e22,
		"0.0001":                                0.0001,
		"1e-05":                                 1e-05,
		"1.5e-07":                               1.5e-07,
		"5e-324":                                5e-324,
		"1.7976931348623157e+308":               1.7976931348623157e+308,
		"0.3333333333333333":                    1.0 / 3,
		"2.5e-05":                               2.5e-05,
		"inf":                                   math.Inf(1),
		"-inf":                                  math.Inf(-1),
		"nan":                                   math.NaN(),
		"''":                                    "",
		"'a'":                                   "a",
		"'é'":                                   "é",
		"'€'":                                   "€",
		"'😀'":                                   "😀",
		`'\u2028\u2029'`:                        "\u2028\u2029",
		`'\x00\x01\x1f'`:                        "\x00\x01\x1f",
		`'\x7f\x80\x9f\xa0ÿ'`:                   "\x7f\u0080\u009f\u00a0ÿ",
		`'"'`:                                   `"`,
		`'\\'`:                                  `\`,
		"'/'":                                   "/",
		`"<script>&'</script>"`:                 "<script>&'</script>",
		`'\n\r\t\x08\x0c\x0b'`:                  "\n\r\t\b\f\v",
		`'\ud800'`:                              "\xed\xa0\x80", // WTF-8 lone surrogate
		"[]":                                    list(),
		"{}":                                    dict(),
		"(1, 'a')":                              list(int64(1), "a"),
		"[1, [2, [3]]]":                         list(int64(1), list(int64(2), list(int64(3)))),
		"{'b': 1, 'a': 2}":                      dict("b", 1, "a", 2),
		"{'a': {'c': 1, 'b': 2}}":               dict("a", dict("c", 1, "b", 2)),
		"{1: 'int'}":                            reencodeOnly,
		"{1.5: 'float'}":                        reencodeOnly,
		"{True: 't', False: 'f'}":               reencodeOnly,
		"{None: 'none'}":                        reencodeOnly,
		"{-0.0: 'negzero'}":                     reencodeOnly,
		"{1e+16: 'big float key'}":              reencodeOnly,
		"{18446744073709551616: 'big int key'}": reencodeOnly,
		"{nan: 'nan key'}":                      reencodeOnly,
		"{1: 'int 1', '1': 'str 1'}":            reencodeOnly, // checked specially below
	}
}

func TestVectorsDumps(t *testing.T) {
	vec := loadVectors(t)
	values := dumpsValues(t)
	if len(vec.Dumps) == 0 {
		t.Fatal("no dumps vectors")
	}
	for _, row := range vec.Dumps {
		want, ok := values[row.PythonRepr]
		if !ok {
			t.Errorf("no Go value for python_repr %s", row.PythonRepr)
			continue
		}
		if want == reencodeOnly {
			v, err := Unmarshal([]byte(row.Bytes))
			if err != nil {
				t.Errorf("%s: Unmarshal(%s): %v", row.PythonRepr, row.Bytes, err)
				continue
			}
			got, err := Marshal(v)
			if err != nil {
				t.Errorf("%s: Marshal: %v", row.PythonRepr, err)
				continue
			}
			if row.PythonRepr == "{1: 'int 1', '1': 'str 1'}" {
				// Python's key coercion wrote a duplicate key; loading keeps the
				// last value at the first position, as Python's loads does.
				if !Equal(v, dict("1", "str 1")) || string(got) != `{"1":"str 1"}` {
					t.Errorf("%s: decoded %s", row.PythonRepr, got)
				}
				continue
			}
			if string(got) != row.Bytes {
				t.Errorf("%s: re-encoded %s, want %s", row.PythonRepr, got, row.Bytes)
			}
			continue
		}
		got, err := Marshal(want)
		if err != nil {
			t.Errorf("%s: Marshal: %v", row.PythonRepr, err)
			continue
		}
		if string(got) != row.Bytes {
			t.Errorf("%s: Marshal = %s, want %s", row.PythonRepr, got, row.Bytes)
		}
		// And the bytes decode back to the same value (the tuple comes back as
		// the list it was written as).
		back, err := Unmarshal([]byte(row.Bytes))
		if err != nil || !Equal(back, want) {
			t.Errorf("%s: Unmarshal(%s) = %#v, %v", row.PythonRepr, row.Bytes, back, err)
		}
	}
}

func TestVectorsDumpsErrors(t *testing.T) {
	// Python's refusals map onto Go types with no Python JSON meaning.
	vec := loadVectors(t)
	goValues := map[string]any{
		"b'x'":                                []byte("x"),
		"{1, 2}":                              map[int]bool{1: true, 2: true},
		"datetime.datetime(2020, 1, 1, 0, 0)": struct{ Year int }{2020},
		"{(1, 2): 1}":                         map[[2]int]int{{1, 2}: 1},
	}
	for _, row := range vec.DumpsErrors {
		v, ok := goValues[row.PythonRepr]
		if !ok {
			t.Errorf("no Go value for %s", row.PythonRepr)
			continue
		}
		if row.Error.Exception != "TypeError" {
			t.Errorf("%s: unexpected exception %s", row.PythonRepr, row.Error.Exception)
		}
		_, err := Marshal(v)
		if !errors.Is(err, ErrUnsupportedType) || !strings.Contains(err.Error(), "is not JSON serializable") {
			t.Errorf("%s: Marshal error = %v", row.PythonRepr, err)
		}
	}
}

func TestVectorsLoads(t *testing.T) {
	vec := loadVectors(t)
	want := map[string]any{
		`{"a":1,"a":2}`:                  dict("a", 2),
		"NaN":                            math.NaN(),
		"Infinity":                       math.Inf(1),
		"-Infinity":                      math.Inf(-1),
		"123456789012345678901234567890": pyInt(t, "123456789012345678901234567890"),
		"1e400":                          math.Inf(1),
		"-0":                             int64(0),
		"-0.0":                           math.Copysign(0, -1),
		"1E2":                            100.0,
		` {"a" : 1 } `:                   dict("a", 1),
		`"\u00e9"`:                       "é",
		"\"\u00c3\u00a9\"":               "Ã©", // the raw bytes C3 A9, read as latin-1
		`"\ud83d\ude00"`:                 "😀",
		`"\ud83d"`:                       "\xed\xa0\xbd",
		`"\/"`:                           "/",
	}
	for _, row := range vec.Loads {
		var input []byte
		if row.InputLatin1 == "<'1' * 4301>" { // too long for the fixture's table
			input = []byte(strings.Repeat("1", 4301))
		} else {
			input = latin1Bytes(t, row.InputLatin1)
		}
		got, err := Unmarshal(input)
		if row.Error != nil {
			switch row.Error.Exception {
			case "JSONDecodeError":
				var se *SyntaxError
				if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
					t.Errorf("%q: err = %v, want SyntaxError %q", input, err, row.Error.Message)
				} else if se.PythonMessage() != row.Error.Message {
					t.Errorf("%q: message %q, want %q", input, se.PythonMessage(), row.Error.Message)
				}
			case "ValueError":
				if !errors.Is(err, ErrIntTooLong) || !strings.Contains(row.Error.Message, "4300 digits") {
					t.Errorf("%q: err = %v, want ErrIntTooLong (%s)", input, err, row.Error.Message)
				}
			default:
				t.Errorf("%q: unexpected exception %s", input, row.Error.Exception)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", input, err)
			continue
		}
		w, ok := want[row.InputLatin1]
		if !ok {
			t.Errorf("no expected value for %q (%s)", row.InputLatin1, row.ResultRepr)
			continue
		}
		if !Equal(got, w) {
			t.Errorf("%q: got %#v, want %s", input, got, row.ResultRepr)
		}
		if TypeName(got) != row.ResultType {
			t.Errorf("%q: type %s, want %s", input, TypeName(got), row.ResultType)
		}
	}
}
