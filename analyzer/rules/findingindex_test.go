package rules

import (
	"testing"

	"github.com/portlens/portlens/analyzer/conv"
)

// Keys that differ in any one field get their own numbers, the same key
// its first number, through every growth of the table.
func TestFindingIndex(t *testing.T) {
	base := findingKey{kind: ReusedPorts, class: 1, port: 80, host: 3, peer: conv.Endpoint{Host: 7, Port: 443}}
	vary := []func(k *findingKey, i int){
		func(k *findingKey, i int) { k.kind = Kind(i % 11) },
		func(k *findingKey, i int) { k.class = Class(i % 7) },
		func(k *findingKey, i int) { k.fixed = i%2 == 1 },
		func(k *findingKey, i int) { k.port = uint16(i) },
		func(k *findingKey, i int) { k.host = conv.HostID(i - 1) },
		func(k *findingKey, i int) { k.peer.Host = conv.HostID(i - 1) },
		func(k *findingKey, i int) { k.peer.Port = uint16(i) },
	}
	var x findingIndex
	want := map[findingKey]int32{}
	for _, f := range vary {
		for i := range 3000 {
			k := base
			f(&k, i)
			g, seen := want[k]
			if !seen {
				g = int32(len(want))
				want[k] = g
			}
			if got := x.find(k, int32(len(want)-1)); got != g && !seen {
				t.Fatalf("new key %+v: got %d, want %d", k, got, g)
			} else if got != g {
				t.Fatalf("key %+v again: got %d, want its number %d", k, got, g)
			}
		}
	}
	for k, g := range want {
		if got := x.find(k, -5); got != g {
			t.Fatalf("after growth, %+v: got %d, want %d", k, got, g)
		}
	}
	if x.used != len(want) {
		t.Errorf("%d keys stored, want %d", x.used, len(want))
	}
}
