package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Row returns the row of key as stored, expired or not, and false when
// there is none: what explain shows of one session, its session_data
// undecoded and its expire_date as the store reads it.
func (s *Store) Row(ctx context.Context, key string) (Row, bool, error) {
	if !storable(key) {
		return Row{}, false, nil
	}
	type raw struct {
		data string
		exp  any
	}
	r, err := bounded(ctx, func() (raw, error) {
		var r raw
		err := s.db.QueryRowContext(ctx, s.qLoadAny, key).Scan(&r.data, &r.exp)
		return r, err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, false, nil
	}
	if err != nil {
		return Row{}, false, backendErr("row", err)
	}
	t, err := s.readTime(r.exp)
	if err != nil {
		return Row{}, false, backendErr("row", err)
	}
	return Row{Key: key, Data: r.data, ExpireDate: t}, true, nil
}

// RecentRows returns the n rows that expire last (the most recently saved,
// for sessions of the default age), expired or not, as stored: the sample
// check reads when it does not read every row.
func (s *Store) RecentRows(ctx context.Context, n int) ([]Row, error) {
	if n <= 0 {
		n = DefaultCheckSample
	}
	d := s.dialect
	q := fmt.Sprintf("SELECT %s, %s, %s FROM %s ORDER BY %s DESC LIMIT %d", d.QuoteName("session_key"), d.QuoteName("session_data"),
		d.QuoteName("expire_date"), d.QuoteName(s.table), d.QuoteName("expire_date"), n)
	got, err := s.queryRows(ctx, nil, q)
	if err != nil {
		return nil, backendErr("recent rows", err)
	}
	out := make([]Row, 0, len(got))
	for _, r := range got {
		t, err := s.readTime(r.exp)
		if err != nil {
			return nil, backendErr("recent rows", err)
		}
		out = append(out, Row{Key: r.key, Data: r.data, ExpireDate: t})
	}
	return out, nil
}

// rawRow is one row as the driver returns it (session_key, session_data,
// expire_date), before readTime makes expire_date a time.Time.
type rawRow struct {
	key, data string
	exp       any
}

// queryRows runs q, a SELECT of session_key, session_data and
// expire_date, and appends its rows to buf[:0] (Rows reuses one batch's
// memory for the next). Every row is read and the result closed before it
// returns, within ctx's deadline.
func (s *Store) queryRows(ctx context.Context, buf []rawRow, q string, args ...any) ([]rawRow, error) {
	return bounded(ctx, func() ([]rawRow, error) {
		out := buf[:0]
		rs, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		for rs.Next() {
			var r rawRow
			if err := rs.Scan(&r.key, &r.data, &r.exp); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rs.Err()
	})
}
