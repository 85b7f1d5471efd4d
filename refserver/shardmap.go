package refserver

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// shardCount is the number of independently locked shards of every map. 64
// keeps lock contention negligible with a few cores and thousands of VUs.
const shardCount = 64

// shardMap is a map split into shards, each with its own mutex, so that
// requests on different keys rarely wait for one another. Shard locks are
// leaf locks: no code calls out of a shardMap method while holding one,
// except the short predicates of compute, deleteIf and sweep, which must
// not take other locks.
type shardMap[K comparable, V any] struct {
	hash   func(K) uint64
	shards [shardCount]mapShard[K, V]
}

type mapShard[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
	_  [40]byte // keep shards on separate cache lines
}

func newShardMap[K comparable, V any](hash func(K) uint64) *shardMap[K, V] {
	sm := &shardMap[K, V]{hash: hash}
	for i := range sm.shards {
		sm.shards[i].m = make(map[K]V)
	}
	return sm
}

var mapSeed = maphash.MakeSeed()

func hashString(s string) uint64                     { return maphash.String(mapSeed, s) }
func hashDigest(d [32]byte) uint64                   { return binary.LittleEndian.Uint64(d[:8]) } // already uniform
func hashInt(i int64) uint64                         { x := uint64(i); x ^= x >> 33; x *= 0xff51afd7ed558ccd; return x ^ x>>33 }
func (sm *shardMap[K, V]) shard(k K) *mapShard[K, V] { return &sm.shards[sm.hash(k)%shardCount] }

func (sm *shardMap[K, V]) get(k K) (V, bool) {
	s := sm.shard(k)
	s.mu.Lock()
	v, ok := s.m[k]
	s.mu.Unlock()
	return v, ok
}

func (sm *shardMap[K, V]) put(k K, v V) {
	s := sm.shard(k)
	s.mu.Lock()
	s.m[k] = v
	s.mu.Unlock()
}

// putIfAbsent stores v unless k is present; it returns the value now stored
// and whether it is v.
func (sm *shardMap[K, V]) putIfAbsent(k K, v V) (V, bool) {
	s := sm.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok {
		return old, false
	}
	s.m[k] = v
	return v, true
}

// loadAndDelete removes k and returns what it held: of concurrent callers,
// exactly one gets ok.
func (sm *shardMap[K, V]) loadAndDelete(k K) (V, bool) {
	s := sm.shard(k)
	s.mu.Lock()
	v, ok := s.m[k]
	if ok {
		delete(s.m, k)
	}
	s.mu.Unlock()
	return v, ok
}

func (sm *shardMap[K, V]) delete(k K) {
	s := sm.shard(k)
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// deleteIf removes k when match answers true for its value, atomically; it
// returns the value and whether k was present and matched.
func (sm *shardMap[K, V]) deleteIf(k K, match func(V) bool) (V, bool) {
	s := sm.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok || !match(v) {
		var zero V
		return zero, false
	}
	delete(s.m, k)
	return v, true
}

// compute runs fn on the value of k (ok false when absent) under the shard
// lock and stores, deletes or leaves the entry as fn says.
func (sm *shardMap[K, V]) compute(k K, fn func(v V, ok bool) (nv V, op mapOp)) {
	s := sm.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	nv, op := fn(v, ok)
	switch op {
	case opStore:
		s.m[k] = nv
	case opDelete:
		delete(s.m, k)
	}
}

type mapOp int

const (
	opKeep mapOp = iota
	opStore
	opDelete
)

// sweep deletes every entry for which drop answers true, one shard at a
// time, and returns how many it deleted.
func (sm *shardMap[K, V]) sweep(drop func(K, V) bool) int {
	n := 0
	for i := range sm.shards {
		s := &sm.shards[i]
		s.mu.Lock()
		for k, v := range s.m {
			if drop(k, v) {
				delete(s.m, k)
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

func (sm *shardMap[K, V]) len() int {
	n := 0
	for i := range sm.shards {
		s := &sm.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// reserve makes room for about n keys in an empty map, so that filling it
// (the load-test users) does not grow it step by step.
func (sm *shardMap[K, V]) reserve(n int) {
	for i := range sm.shards {
		s := &sm.shards[i]
		s.mu.Lock()
		if len(s.m) == 0 {
			s.m = make(map[K]V, n/shardCount+n/(4*shardCount)+1)
		}
		s.mu.Unlock()
	}
}
