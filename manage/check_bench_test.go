package manage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django/auth"
)

// checkBenchRows is the size of the table BenchmarkCheckAll reads.
const checkBenchRows = 100_000

// BenchmarkCheckAll is check --all over 100,000 SQLite rows, each a
// logged-in session (no auth_user: the hashes are not looked up), signed
// under the second fallback so every key is tried: sessions/s and the
// heap in use after the run (streamed in batches, it does not grow with
// the table).
func BenchmarkCheckAll(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "check.sqlite3")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		b.Fatal(err)
	}
	old := chkSettings(chkOld)
	oldStore, _ := db.New(sqlDB, db.SQLite, old)
	data, err := oldStore.Codec().Encode(loginDict(chkOld))
	if err != nil {
		b.Fatal(err)
	}
	tx, _ := sqlDB.BeginTx(ctx, nil)
	stmt, _ := tx.PrepareContext(ctx, `INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES (?, ?, ?)`)
	exp := chkNow.Add(time.Duration(old.SessionCookieAge) * time.Second).UTC().Format("2006-01-02 15:04:05.000000")
	for i := range checkBenchRows {
		if _, err := stmt.ExecContext(ctx, fmt.Sprintf("check%027d", i), data, exp); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	site := chkSettings(chkSecret)
	site.SecretKeyFallbacks = []string{"unused-fallback-0123456789abcdefghijklmnop", chkOld}
	store, _ := db.New(sqlDB, db.SQLite, site)
	var users auth.UserStore
	b.ResetTimer()
	var peak uint64
	for b.Loop() {
		r, err := Check(ctx, Sources{Settings: site, DB: store, Users: users}, CheckOptions{All: true, Options: Options{BatchSize: 1000,
			Progress: func(int64, int64) {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}}})
		if err != nil || r.Keys.Fallbacks[1] != checkBenchRows || r.Disagrees {
			b.Fatalf("%v %+v", err, r)
		}
	}
	b.ReportMetric(float64(checkBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
