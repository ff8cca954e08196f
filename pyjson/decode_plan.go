package pyjson

// Lists and dicts of a validated value (lazy.go) are decoded straight into
// the slab: the validator counted each one's items (decoder.plan), so its
// place is reserved when it opens, and there is nothing to collect on the
// decoder's stacks and copy at its end. The text is known to be valid, so
// the checks below only keep the decoder from running off it should the
// plan ever disagree (decodeWith reports that as an internal error).

// nextSize returns the size the validator counted for the list or dict
// that opens at d.pos.
func (d *decoder) nextSize() int {
	n := d.plan[d.planAt]
	d.planAt++
	return int(n)
}

// plannedArray is array for a validated list.
func (d *decoder) plannedArray(depth int) (any, error) {
	n := d.nextSize()
	if n == 0 {
		d.pos = skipSpace(d.data, d.pos+1) + 1
		return d.slab.boxList([]any{}), nil
	}
	items := d.slab.reserveItems(n)
	data := d.data
	i := d.pos + 1
	for k := range items {
		d.pos = skipSpace(data, i)
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		items[k] = v
		i = skipSpace(data, d.pos) + 1 // past ',' or the closing ']'
	}
	if data[i-1] != ']' {
		return nil, d.syntaxError("Expecting ',' delimiter", i-1)
	}
	d.pos = i
	return d.slab.boxList(items), nil
}

// plannedObject is object for a validated dict. n is how many entries it
// has at most: a repeated key keeps its first place and takes the last
// value, leaving a reserved entry unused.
func (d *decoder) plannedObject(depth int) (any, error) {
	n := d.nextSize()
	if n == 0 {
		d.pos = skipSpace(d.data, d.pos+1) + 1
		return d.slab.newDict(nil, nil), nil
	}
	entries := d.slab.reservePairs(n)
	data := d.data
	i := d.pos + 1
	var keys keyFinder
	m := 0 // entries filled
	for range n {
		i = skipSpace(data, i)
		if data[i] != '"' {
			return nil, d.syntaxError("Expecting property name enclosed in double quotes", i)
		}
		key, err := d.key(i + 1)
		if err != nil {
			return nil, err
		}
		d.pos = skipSpace(data, skipSpace(data, d.pos)+1) // past ':'
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if dup, print := keys.find(entries[:m], key); dup >= 0 {
			entries[dup].val = v
		} else {
			entries[m] = entry{key, v}
			m++
			keys.added(entries[:m], print)
		}
		i = skipSpace(data, d.pos) + 1 // past ',' or the closing '}'
	}
	if data[i-1] != '}' {
		return nil, d.syntaxError("Expecting ',' delimiter", i-1)
	}
	d.pos = i
	return d.slab.newDict(entries[:m:m], keys.index), nil
}
