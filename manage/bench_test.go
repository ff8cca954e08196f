package manage

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/pickle"
)

// convertBenchRows is the size of BenchmarkConvertSerializer's table.
const convertBenchRows = 100_000

// convertBenchTable fills a SQLite django_session with n live rows of
// PickleSerializer data as Django 4.2 writes it (a logged-in user's
// session with a cart; every tenth also holds a datetime, which stays
// pickle), in one transaction, and returns the store and a function that
// puts the pickle data back (neither is measured). The database runs in
// WAL mode with synchronous=NORMAL, as production SQLite sites commonly
// do; ConvertSerializer writes each batch in one transaction.
func convertBenchTable(b *testing.B, n int) (*db.Store, func()) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "convert.sqlite3")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sqlDB.Close() })
	ctx := context.Background()
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		b.Fatal(err)
	}
	st := convSettings(convSecret)
	st.Clock = nil // live rows: the benchmark's real clock
	store, err := db.New(sqlDB, db.SQLite, st)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := store.Codec().Encode(convDict("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", "3f1e0c5b2d6a4e8f9a7b1c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "cart", []any{int64(1), int64(2), int64(3)}))
	if err != nil {
		b.Fatal(err)
	}
	odd, err := store.Codec().Encode(convDict("_auth_user_id", "7", "seen", pickle.DatetimeOf(time.Now())))
	if err != nil {
		b.Fatal(err)
	}
	fill := func() {
		tx, err := sqlDB.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `DELETE FROM "django_session"`); err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES (?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		exp := time.Now().Add(7 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05.000000")
		for i := range n {
			data := plain
			if i%10 == 0 {
				data = odd
			}
			if _, err := stmt.ExecContext(ctx, fmt.Sprintf("conv%028d", i), data, exp); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return store, fill
}

// convVmHWM is the process's peak resident set (VmHWM in /proc/self/status),
// in bytes; 0 where there is no such file.
func convVmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkConvertSerializer converts 100,000 SQLite rows of
// PickleSerializer data (90% convertible, 10% holding a datetime) with
// the default batch size, and reports sessions per second, the peak Go
// heap while converting, and the process's peak RSS (VmHWM, which also
// counts filling the table). Run it alone:
//
//	go test -run '^$' -bench BenchmarkConvertSerializer -benchtime 1x ./manage/
func BenchmarkConvertSerializer(b *testing.B) {
	for _, dry := range []bool{false, true} {
		b.Run(fmt.Sprintf("dry-run=%v", dry), func(b *testing.B) {
			store, fill := convertBenchTable(b, convertBenchRows)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				fill()
				runtime.GC()
				stop := peakHeap()
				b.StartTimer()
				start := time.Now()
				r, err := ConvertSerializer(ctx, Target{DB: store}, Options{DryRun: dry})
				elapsed := time.Since(start)
				b.StopTimer()
				peak := stop()
				if err != nil {
					b.Fatal(err)
				}
				if r.Converted != convertBenchRows*9/10 || r.Unconvertible != convertBenchRows/10 {
					b.Fatalf("report %+v", r)
				}
				b.ReportMetric(float64(convertBenchRows)/elapsed.Seconds(), "sessions/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(convVmHWM())/(1<<20), "VmHWM-MB")
				b.StartTimer()
			}
		})
	}
}
