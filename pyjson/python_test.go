package pyjson

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/djsession/djsession/internal/vectors"
)

// A differential test against the real CPython json module, in one python3
// process fed a batch of requests on stdin. Without python3 it skips, or
// fails under CI=true.

const pythonDriver = `
import json, struct, sys
def dumps(v):
    return json.dumps(v, separators=(",", ":"))
out = []
for line in sys.stdin:
    op, _, arg = line.rstrip("\n").partition(" ")
    try:
        if op == "L":    # Django's loads: bytes read as latin-1
            r = "O " + dumps(json.loads(bytes.fromhex(arg).decode("latin-1")))
        elif op == "F":  # a float given by its bits
            r = "O " + dumps(struct.unpack(">d", bytes.fromhex(arg))[0])
        elif op == "S":  # a str given as WTF-8
            r = "O " + dumps(bytes.fromhex(arg).decode("utf-8", "surrogatepass"))
        elif op == "I":
            r = "O " + dumps(int(arg))
        else:
            r = "X unknown op " + op
    except Exception as e:
        r = "E %s %s" % (type(e).__name__, e)
    out.append(r)
sys.stdout.write("\n".join(out) + "\n")
`

// runPython sends one request per line and returns one answer per request.
func runPython(t *testing.T, requests []string) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		vectors.Unavailable(t, "python3 not found: the differential test against CPython did not run")
	}
	cmd := exec.Command(py, "-c", pythonDriver)
	cmd.Stdin = strings.NewReader(strings.Join(requests, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	var answers []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		answers = append(answers, sc.Text())
	}
	if len(answers) != len(requests) {
		t.Fatalf("python3 answered %d of %d requests", len(answers), len(requests))
	}
	return answers
}

func TestPythonDumps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var reqs []string
	var want []string // our bytes, as "O ..." answers
	add := func(req string, v any) {
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		reqs = append(reqs, req)
		want = append(want, "O "+string(b))
	}
	for range 5000 {
		f := randFloat(r)
		add(fmt.Sprintf("F %016x", math.Float64bits(f)), f)
	}
	for range 3000 {
		s := randString(r, true)
		add("S "+hex.EncodeToString([]byte(s)), s)
	}
	for range 500 {
		v := randInt(r)
		add("I "+fmt.Sprint(v), v)
	}
	// Structures: Python reads our bytes and must write them back unchanged.
	for range 1000 {
		v := randValue(r, 0)
		b, _ := Marshal(v)
		add("L "+hex.EncodeToString(b), v)
	}
	got := runPython(t, reqs)
	for i := range reqs {
		if got[i] != want[i] {
			t.Errorf("%s:\n python %s\n go     %s", reqs[i], got[i], want[i])
		}
	}
}

func TestPythonDumpsIntLimit(t *testing.T) {
	var nums []string
	for _, digits := range []int{4300, 4301} {
		for _, sign := range []string{"", "-"} {
			nums = append(nums, sign+"9"+strings.Repeat("0", digits-1))
		}
	}
	reqs := make([]string, len(nums))
	for i, s := range nums {
		reqs[i] = "I " + s
	}
	answers := runPython(t, reqs)
	for i, s := range nums {
		b, _ := new(big.Int).SetString(s, 10)
		out, err := Marshal(b)
		if got := answers[i]; strings.HasPrefix(got, "O ") {
			if err != nil || "O "+string(out) != got {
				t.Errorf("%d chars: go %v, python ok", len(s), err)
			}
		} else if !errors.Is(err, ErrIntTooLong) || !strings.HasPrefix(got, "E ValueError") {
			t.Errorf("%d chars: go %v, python %.60s", len(s), err, got)
		}
	}
}

// loadsAnswer is what the driver prints for Unmarshal's outcome.
func loadsAnswer(data []byte) string {
	v, err := Unmarshal(data)
	var se *SyntaxError
	switch {
	case err == nil:
		b, err := Marshal(v)
		if err != nil {
			return "Marshal failed: " + err.Error()
		}
		return "O " + string(b)
	case errors.As(err, &se):
		return "E JSONDecodeError " + se.PythonMessage()
	case errors.Is(err, ErrIntTooLong):
		return "E ValueError"
	case errors.Is(err, ErrTooDeep):
		return "E RecursionError"
	}
	return "E " + err.Error()
}

// jsonish is an alphabet that makes random bytes likely to look like JSON.
var jsonish = []byte("{}[],:\"\"\\\\u0123456789aAdDeEfF.+-ntrulsNIy/ \t\n\r\x00\x1f\x7f\x80\xc3\xa9\xff\x0c")

// mutate returns a random edit of a valid document: byte insertions,
// deletions and replacements from the jsonish alphabet.
func mutate(r *rand.Rand, doc []byte) []byte {
	b := append([]byte(nil), doc...)
	for range 1 + r.IntN(3) {
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b) + 1)
		}
		c := jsonish[r.IntN(len(jsonish))]
		switch r.IntN(3) {
		case 0:
			b = append(b[:i], append([]byte{c}, b[i:]...)...)
		case 1:
			if i < len(b) {
				b = append(b[:i], b[i+1:]...)
			}
		default:
			if i < len(b) {
				b[i] = c
			}
		}
	}
	return b
}

func TestPythonLoads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var inputs [][]byte
	// Hand-picked corners of CPython's scanner.
	for _, s := range []string{
		`"\uzzzz"`, `"\u00e"`, `"\u00e9`, `"\u12`, `"\ud83d\uzzzz"`, `"\ud83d\u12"`, `"\ud83d\ude00`,
		`"\ud83d\ud83d\ude00"`, `"\ude00\ud83d"`, `"\uD83D\uDE00"`, `"\ud83d\n"`, "\"\\", `"abc`, "\"ab\x01",
		`{"a" 1}`, `{"a":1 "b":2}`, `{`, `[`, `[1 2]`, `  `, "\n\n  x", `nul`, `-Inf`, `-`, `1.`, `1e`,
		`1e+`, `1.5e`, `-01`, `[1,,2]`, `{"a":}`, `{1:2}`, `{'a':1}`, `1e-99999999999`, `1e99999999999999999999`,
		`0.0e0`, `tru`, `NaNx`, "\"a\nb\"", "\t1\r\n", "[1]\n\nx", "\x0c1", `-Infinity`, `-NaN`, `[-]`,
		`1E+2`, `1e-2`, `0.5E-0`, `[1e]`, `{"a":1}}`, `"\u0000"`, `9223372036854775807`, `9223372036854775808`,
		`-9223372036854775808`, `-9223372036854775809`, `123456789012345678`, `1234567890123456789`,
		"\"\xc3\xa9\x7f\xff\"", `{"a":1,"b":2,"a":3,"c":{"a":[]}}`, `[[[[[]]]]]`, `{"":""}`, `[] `, ` []`, `\`,
		strings.Repeat("1", 4301), "-" + strings.Repeat("1", 4301), "[" + strings.Repeat("1", 4301),
		strings.Repeat("1", 4300) + ".5", "1." + strings.Repeat("1", 5000),
	} {
		inputs = append(inputs, []byte(s))
	}
	// A dict large enough to use the index, with duplicates.
	var big strings.Builder
	big.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&big, `"k%d":%d,`, i%25, i)
	}
	big.WriteString(`"end":null}`)
	inputs = append(inputs, []byte(big.String()))
	// Random documents, with random whitespace, and random edits of them.
	for range 3000 {
		doc, _ := Marshal(randValue(r, 0))
		if r.IntN(3) == 0 {
			doc = sprinkleSpace(r, doc)
		}
		inputs = append(inputs, doc, mutate(r, doc))
	}
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = jsonish[r.IntN(len(jsonish))]
		}
		inputs = append(inputs, b)
	}
	reqs := make([]string, len(inputs))
	for i, in := range inputs {
		reqs[i] = "L " + hex.EncodeToString(in)
	}
	got := runPython(t, reqs)
	fails := 0
	for i, in := range inputs {
		want := got[i]
		if strings.HasPrefix(want, "E ValueError") {
			want = "E ValueError"
		}
		if ours := loadsAnswer(in); ours != want {
			t.Errorf("loads(%s):\n python %s\n go     %s", strconv.Quote(string(in)), want, ours)
			if fails++; fails > 20 {
				t.Fatal("too many failures")
			}
		}
	}
}

// sprinkleSpace inserts JSON whitespace after structural characters, which
// keeps the document valid outside strings (and tests more inside them).
func sprinkleSpace(r *rand.Rand, doc []byte) []byte {
	var out []byte
	inStr, esc := false, false
	for _, c := range doc {
		out = append(out, c)
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && strings.IndexByte("{}[],:", c) >= 0 && r.IntN(2) == 0:
			out = append(out, " \t\n\r"[r.IntN(4)])
		}
	}
	return out
}
