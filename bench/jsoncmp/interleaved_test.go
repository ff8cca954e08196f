package jsoncmp

import (
	"slices"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/djsession/djsession/pyjson"
)

// BenchmarkInterleaved decodes each payload with pyjson (every value read)
// and go-json (into map[string]any) in alternating blocks of a few
// operations, and reports each one's median time per operation over the
// blocks. On a shared machine, whose load changes from one second to the
// next, BenchmarkJSON's separate runs can differ by 2x; blocks this short
// see the same load, so the two figures compare.
func BenchmarkInterleaved(b *testing.B) {
	payloads := djangoJSON(b)
	for _, name := range payloadNames {
		data := payloads[name]
		fns := [2]func(){
			func() { v, _ := pyjson.Unmarshal(data); readAll(v) },
			func() { var m map[string]any; _ = gojson.Unmarshal(data, &m) },
		}
		b.Run(name, func(b *testing.B) {
			const block = 8
			var times [2][]float64
			for b.Loop() {
				for k, fn := range fns {
					start := time.Now()
					for range block {
						fn()
					}
					times[k] = append(times[k], float64(time.Since(start).Nanoseconds())/block)
				}
			}
			for k, unit := range []string{"pyjson-ns/op", "gojson-ns/op"} {
				slices.Sort(times[k])
				b.ReportMetric(times[k][len(times[k])/2], unit)
			}
			b.ReportMetric(0, "ns/op") // one op here is a block of each: not comparable
		})
	}
}
