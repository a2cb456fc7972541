package conv

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// index4 answers like a map keyed by the ordered tuple, across growth,
// for both directions and for a tuple whose two endpoints are the same.
func TestIndex4(t *testing.T) {
	var x index4
	want := map[tuple4]int32{}
	aIsLo := map[tuple4]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	addr := func() netip.Addr {
		return netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))})
	}
	for i := range 50_000 {
		src, dst := addr(), addr()
		sp, dp := uint16(rng.IntN(8)), uint16(80+rng.IntN(2))
		tu, ok := tupleOf4(src, dst, sp, dp)
		if !ok {
			t.Fatal("not IPv4")
		}
		x.put(tu, int32(i))
		k := tuple4{tu.lo, tu.hi, tu.ports, false}
		want[k], aIsLo[k] = int32(i), tu.srcIsLo
		// The reverse direction finds the same conversation, from B.
		back, _ := tupleOf4(dst, src, dp, sp)
		got, dir, ok := x.get(back)
		wantDir := FromB
		if back.srcIsLo == tu.srcIsLo { // the same endpoint both ways
			wantDir = FromA
		}
		if !ok || got != int32(i) || dir != wantDir {
			t.Fatalf("tuple %d reversed: %d %v %v", i, got, dir, ok)
		}
	}
	for k, conv := range want {
		k.srcIsLo = aIsLo[k]
		if got, dir, ok := x.get(k); !ok || got != conv || dir != FromA {
			t.Fatalf("%+v: got %d %v %v, want %d from A", k, got, dir, ok, conv)
		}
	}
	if x.used != len(want) {
		t.Fatalf("%d slots used for %d tuples", x.used, len(want))
	}
	if _, _, ok := x.get(tuple4{1, 2, 3, true}); ok {
		t.Fatal("found a tuple never put")
	}
	if _, ok := tupleOf4(netip.MustParseAddr("::1"), netip.MustParseAddr("10.0.0.1"), 1, 2); ok {
		t.Fatal("IPv6 taken as IPv4")
	}
}
