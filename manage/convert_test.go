package manage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

const convSecret = "convert-test-secret-key-0123456789abcdefghij"

var convNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// convSettings is a Django 4.2 site on PickleSerializer.
func convSettings(secret string) django.Settings {
	s := django.DefaultSettings(secret)
	s.DjangoVersion = django.Django42
	s.SessionSerializer = django.PickleSerializer
	s.AllowPickleSerializer = true
	s.Clock = func() time.Time { return convNow }
	s.Logger = slog.New(slog.DiscardHandler)
	return s
}

func convDB(t testing.TB) *sql.DB {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db.sqlite3")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

func convDict(kv ...any) *pyjson.Dict {
	d := pyjson.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

// convCase is one stored session and what convert-serializer must do.
type convCase struct {
	name    string
	session *pyjson.Dict
	convert bool
}

func convCases() []convCase {
	return []convCase{
		{"plain", convDict("name", "ada", "n", int64(3), "f", 1.5, "l", []any{"a", nil, true}, "d", convDict("x", int64(1))), true},
		{"cart", convDict("cart", []any{int64(1), int64(2)}, "_session_expiry", int64(600)), true},
		{"datetime", convDict("when", pickle.DatetimeOf(convNow)), false},
		{"set", convDict("tags", pickle.Set{"a", "b"}), false},
		{"tuple", convDict("pair", pickle.Tuple{int64(1), "x"}), false},
	}
}

func TestConvertSerializerDB(t *testing.T) {
	ctx := context.Background()
	sqlDB := convDB(t)
	site := convSettings(convSecret)
	store, err := db.New(sqlDB, db.SQLite, site)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, c := range convCases() {
		k, err := django.Create(ctx, store, c.session)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		keys[c.name] = k
	}
	// Already JSON, an expired pickle, and one under an unknown key.
	jsonSite := site
	jsonSite.SessionSerializer = django.JSONSerializer
	jsonStore, _ := db.New(sqlDB, db.SQLite, jsonSite)
	if _, err := django.Create(ctx, jsonStore, convDict("a", "b")); err != nil {
		t.Fatal(err)
	}
	pickleCodec, _ := django.NewCodec(site)
	old, _ := pickleCodec.Encode(convDict("old", int64(1)))
	if err := store.Insert(ctx, db.Row{Key: "expiredkey0123456789abcdefghijkl", Data: old, ExpireDate: convNow.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	otherCodec, _ := django.NewCodec(convSettings("another-secret-key-entirely-0123456789"))
	other, _ := otherCodec.Encode(convDict("x", int64(1)))
	if err := store.Insert(ctx, db.Row{Key: "otherkey0123456789abcdefghijklmn", Data: other, ExpireDate: convNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Django saves "cart" between convert's read and its write.
	mid := convDict("cart", []any{int64(9)}, "_session_expiry", int64(600))
	target := Target{DB: store, BeforeWrite: func(ctx context.Context, key string) {
		if key == keys["cart"] {
			if err := store.Save(ctx, key, mid, false); err != nil {
				t.Error(err)
			}
		}
	}}

	dry, err := ConvertSerializer(ctx, target, Options{DryRun: true, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Converted != 2 || dry.ChangedMeanwhile != 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	var progress []int64
	r, err := ConvertSerializer(ctx, target, Options{BatchSize: 3, Progress: func(done, total int64) {
		progress = append(progress, done)
		if total != 8 {
			t.Errorf("progress total %d, want 8", total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := ConvertReport{Seen: 8, Converted: 1, AlreadyJSON: 1, Expired: 1, Unconvertible: 3, ChangedMeanwhile: 1}
	if r.Seen != want.Seen || r.Converted != want.Converted || r.AlreadyJSON != want.AlreadyJSON || r.Expired != want.Expired ||
		r.Unconvertible != want.Unconvertible || r.ChangedMeanwhile != want.ChangedMeanwhile || r.Unreadable["not signed by any configured key"] != 1 {
		t.Fatalf("report %+v", r)
	}
	if r.ByType["datetime.datetime"] != 1 || r.ByType["set"] != 1 || r.ByType["tuple"] != 1 {
		t.Fatalf("by type %v", r.ByType)
	}
	if fmt.Sprint(progress) != "[3 6 8]" {
		t.Fatalf("progress %v", progress)
	}
	if r.ExitCode() != ExitLeft {
		t.Fatalf("exit %d", r.ExitCode())
	}

	// Django 5.2 on JSON reads the converted session as it was; the
	// session Django saved meanwhile keeps Django's data (pickle).
	js := django.DefaultSettings(convSecret)
	js.DjangoVersion = django.Django52
	js.Clock = site.Clock
	js.Logger = site.Logger
	j52, _ := db.New(sqlDB, db.SQLite, js)
	got, err := j52.Load(ctx, keys["plain"])
	if err != nil || !got.Equal(convCases()[0].session) {
		t.Fatalf("5.2 reads the converted session: %v %v", pyjson.Repr(got), err)
	}
	if _, err := j52.Load(ctx, keys["cart"]); err == nil {
		t.Fatal("the session Django saved meanwhile was converted")
	}
	if got, err := store.Load(ctx, keys["cart"]); err != nil || !got.Equal(mid) {
		t.Fatalf("Django's mid-run save was lost: %v", err)
	}
	// A second run converts it.
	target.BeforeWrite = nil
	r2, err := ConvertSerializer(ctx, target, Options{})
	if err != nil || r2.Converted != 1 || r2.ChangedMeanwhile != 0 {
		t.Fatalf("second run: %+v %v", r2, err)
	}
}

func TestConvertSerializerFile(t *testing.T) {
	ctx := context.Background()
	site := convSettings(convSecret)
	site.SessionEngine = django.EngineFile
	site.SessionFilePath = t.TempDir()
	store, err := file.New(site)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, c := range convCases() {
		if keys[c.name], err = django.Create(ctx, store, c.session); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ConvertSerializer(ctx, Target{File: store}, Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Seen != 5 || r.Converted != 2 || r.Unconvertible != 3 {
		t.Fatalf("report %+v", r)
	}
	js := site
	js.SessionSerializer, js.DjangoVersion = django.JSONSerializer, django.Django52
	j52, _ := file.New(js)
	for _, c := range convCases() {
		got, err := j52.Load(ctx, keys[c.name])
		if c.convert && (err != nil || !got.Equal(c.session)) {
			t.Errorf("%s: 5.2 reads %v %v", c.name, pyjson.Repr(got), err)
		}
		if !c.convert && err == nil {
			t.Errorf("%s: converted", c.name)
		}
	}
}

func TestConvertRefusals(t *testing.T) {
	ctx := context.Background()
	site := convSettings(convSecret)
	site.AllowPickleSerializer = false
	site.SessionSerializer = django.JSONSerializer
	store, _ := db.New(convDB(t), db.SQLite, site)
	if _, err := ConvertSerializer(ctx, Target{DB: store}, Options{}); err == nil {
		t.Fatal("convert without AllowPickleSerializer")
	}
	if _, err := ConvertSerializer(ctx, Target{}, Options{}); err == nil {
		t.Fatal("convert without a store")
	}
}

// TestConvertCachedDB: for cached_db, the cache copy of every rewritten
// session is dropped, and the next load caches the converted row.
func TestConvertCachedDB(t *testing.T) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rc.Close()
	if err := rc.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis on 127.0.0.1:6379: %v (CI=true: a missing server is a failure)", err)
		}
		t.Skipf("Redis on 127.0.0.1:6379: %v", err)
	}
	prefix := fmt.Sprintf("djsconvtest%d", time.Now().UnixNano())
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: prefix}, rc)
	if err != nil {
		t.Fatal(err)
	}
	site := convSettings(convSecret)
	site.SessionEngine = django.EngineCachedDB
	site.Clock = nil
	sqlDB := convDB(t)
	dbStore, _ := db.New(sqlDB, db.SQLite, site)
	store, err := cacheddb.New(dbStore, c)
	if err != nil {
		t.Fatal(err)
	}
	key, err := django.Create(ctx, store, convDict("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Delete(context.Background(), key) })
	if _, found, _ := c.Get(ctx, cacheddb.KeyPrefix+key); !found {
		t.Fatal("no cache copy to begin with")
	}
	r, err := ConvertSerializer(ctx, Target{DB: dbStore, Cache: c}, Options{})
	if err != nil || r.Converted != 1 || r.CacheCopiesDropped != 1 || r.Engine != "cached_db" {
		t.Fatalf("report %+v %v", r, err)
	}
	if _, found, _ := c.Get(ctx, cacheddb.KeyPrefix+key); found {
		t.Fatal("the cache copy survived the rewrite")
	}
	// Django 5.2 on JSON, cached_db over the same table and cache.
	js := site
	js.SessionSerializer, js.DjangoVersion, js.AllowPickleSerializer = django.JSONSerializer, django.Django52, false
	jsonDB, _ := db.New(sqlDB, db.SQLite, js)
	j52, _ := cacheddb.New(jsonDB, c)
	if got, err := j52.Load(ctx, key); err != nil || !got.Equal(convDict("a", "b")) {
		t.Fatalf("5.2 cached_db reads %v %v", pyjson.Repr(got), err)
	}
	if _, found, _ := c.Get(ctx, cacheddb.KeyPrefix+key); !found {
		t.Fatal("the load did not cache the converted row")
	}
}

func TestRedactKeys(t *testing.T) {
	err := fmt.Errorf("%w: open /tmp/sessionidabcdefgh0123456789abcdefgh012345: permission denied", django.ErrBackend)
	got := redactKeys(err)
	if !errors.Is(got, django.ErrBackend) || strings.Contains(got.Error(), "abcdefgh0123456789") || !strings.Contains(got.Error(), "sessionidabcdefgh…") {
		t.Fatalf("%v", got)
	}
}

// TestConvertRefusedPickle: a pickle of a class Go does not read is left
// and reported as such, not as corrupt.
func TestConvertRefusedPickle(t *testing.T) {
	ctx := context.Background()
	site := convSettings(convSecret)
	store, _ := db.New(convDB(t), db.SQLite, site)
	// pickle.dumps({"x": E()}, 4) where E.__reduce__ returns (os.system, ("id",)).
	evil := "\x80\x04\x95$\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01x\x94\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94s."
	signer, err := signing.NewTimestampSigner(site.SignerOptions("django.contrib.sessions.SessionStore"))
	if err != nil {
		t.Fatal(err)
	}
	data := signer.SignPayload([]byte(evil), false)
	if err := store.Insert(ctx, db.Row{Key: "evilkey0123456789abcdefghijklmno", Data: data, ExpireDate: convNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r, err := ConvertSerializer(ctx, Target{DB: store}, Options{})
	if err != nil || r.Unreadable["pickle of a class outside the safe subset"] != 1 || r.ExitCode() != ExitLeft {
		t.Fatalf("report %+v %v", r, err)
	}
}
