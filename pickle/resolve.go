package pickle

import (
	"github.com/djsession/djsession/pyjson"
)

// finish turns the value STOP popped into the value model: *node becomes
// []any, Tuple, *pyjson.Dict or *Map, Set or FrozenSet, each node once (a
// node reached twice, through the memo, yields the same Go value: the same
// slice or the same *Dict). It also enforces MaxDepth and MaxItems on the
// value as a consumer will walk it, and refuses a value that contains itself.
func (d *decoder) finish(v any) (any, error) {
	d.op = d.pos - 1
	out, _, _, err := d.resolve(v, 0)
	return out, err
}

const (
	stateNew uint8 = iota
	stateResolving
	stateDone
)

// resolve returns the Go value of v, its height (levels of containers) and
// its expanded size (values counted at every place they appear).
func (d *decoder) resolve(v any, depth int) (any, int, int, error) {
	switch x := v.(type) {
	case *node:
		return d.resolveNode(x, depth)
	case *uuidNode:
		if !x.built {
			return nil, 0, 0, d.fail(ErrMalformed, "uuid.UUID used before its BUILD")
		}
		return x.val, 0, 1, nil
	case globalRef, zoneUnpickler:
		return nil, 0, 0, d.fail(ErrRefused, "result holds %s itself, not a value", describe(v))
	}
	return v, 0, 1, nil
}

func (d *decoder) resolveNode(n *node, depth int) (any, int, int, error) {
	switch n.state {
	case stateDone:
		if depth+n.height > d.opts.MaxDepth {
			return nil, 0, 0, d.fail(ErrTooDeep, "nesting deeper than MaxDepth %d", d.opts.MaxDepth)
		}
		return n.out, n.height, n.size, nil
	case stateResolving:
		return nil, 0, 0, d.fail(ErrTooDeep, "a %s contains itself", describe(n))
	}
	if depth+1 > d.opts.MaxDepth {
		return nil, 0, 0, d.fail(ErrTooDeep, "nesting deeper than MaxDepth %d", d.opts.MaxDepth)
	}
	if err := d.tick(); err != nil {
		return nil, 0, 0, err
	}
	n.state = stateResolving
	height, size := 0, 1
	for i, it := range n.items {
		r, h, s, err := d.resolve(it, depth+1)
		if err != nil {
			return nil, 0, 0, err
		}
		n.items[i] = r
		height = max(height, h)
		size += s
		if size > d.opts.MaxItems {
			return nil, 0, 0, d.fail(ErrTooLarge, "value expands to more than MaxItems %d items", d.opts.MaxItems)
		}
	}
	out, err := d.buildValue(n)
	if err != nil {
		return nil, 0, 0, err
	}
	n.state, n.out, n.height, n.size = stateDone, out, height+1, size
	n.items = nil
	return out, n.height, n.size, nil
}

// build_ makes the Go value of a node whose items are resolved.
func (d *decoder) buildValue(n *node) (any, error) {
	switch n.kind {
	case kList:
		if n.items == nil {
			return []any{}, nil
		}
		return n.items, nil
	case kTuple:
		if n.items == nil {
			return Tuple{}, nil
		}
		return Tuple(n.items), nil
	case kDict:
		return d.dict(n.items)
	}
	// Sets: drop duplicates as Python's set() would, keeping first positions.
	seen := make(map[keyDigest]bool, len(n.items))
	items := n.items[:0:0]
	for _, it := range n.items {
		k, nan, ok := d.hash.key(it)
		if !ok {
			return nil, d.unhashable(it)
		}
		if !nan && seen[k] {
			continue
		}
		seen[k] = true
		items = append(items, it)
	}
	if n.kind == kSet {
		return Set(items), nil
	}
	return FrozenSet(items), nil
}

// dict builds a *pyjson.Dict when every key is a str, a *Map otherwise.
func (d *decoder) dict(kv []any) (any, error) {
	allStr := true
	for i := 0; i < len(kv); i += 2 {
		if _, ok := kv[i].(string); !ok {
			allStr = false
			break
		}
	}
	if allStr {
		out := pyjson.NewDict(len(kv) / 2)
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i].(string), kv[i+1])
		}
		return out, nil
	}
	m := NewMap()
	for i := 0; i < len(kv); i += 2 {
		if !m.set(&d.hash, kv[i], kv[i+1]) {
			return nil, d.unhashable(kv[i])
		}
	}
	return m, nil
}

// unhashable is the error for a set element or dict key the hasher
// refused: the context's, when that is why it stopped.
func (d *decoder) unhashable(v any) error {
	if d.hash.err != nil {
		return d.stopped(d.hash.err)
	}
	return d.fail(ErrMalformed, "unhashable type: '%s'", TypeName(v))
}
