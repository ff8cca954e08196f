package django_test

import (
	"context"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
)

// BenchmarkSessionSet is Set of a string, the common case, on an engine
// whose values Django pickles (where Set must accept pickle's types).
func BenchmarkSessionSet(b *testing.B) {
	s := django.DefaultSettings("k")
	s.SessionEngine = django.EngineCache
	s.SessionFilePath = b.TempDir()
	st, err := file.New(s) // the settings say cache: Set checks as for that engine
	if err != nil {
		b.Fatal(err)
	}
	sess := django.NewSession(context.Background(), st, "")
	b.ReportAllocs()
	for b.Loop() {
		if err := sess.Set("last_page", "/cart/"); err != nil {
			b.Fatal(err)
		}
	}
}
