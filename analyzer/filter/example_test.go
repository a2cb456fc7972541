package filter_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/filter"
)

func Example() {
	f, err := filter.Compile("ip.addr == 10.0.0.0/8 and tcp.port in {80, 443} and tcp.flags.syn == 1")
	if err != nil {
		panic(err)
	}
	fmt.Println(f)
	fmt.Println("needs addresses:", f.Needs()&filter.NeedIP != 0, "needs bytes:", f.Needs()&filter.NeedData != 0)

	var fr filter.Frame // reused for every frame
	fr.Reset()
	fr.Number = 1
	fr.AddIP(netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.0.2.7"))
	fr.AddTCP(filter.TCP{Src: 51000, Dst: 443, Stream: 0, Flags: decode.SYN})
	fmt.Println("frame 1:", f.Match(&fr))
	// Output:
	// ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && tcp.flags.syn == True
	// needs addresses: true needs bytes: false
	// frame 1: true
}

func ExampleError() {
	text := "tcp.port == 80 && tcp.strem == 3"
	_, err := filter.Compile(text)
	var fe *filter.Error
	if errors.As(err, &fe) {
		fmt.Println(err)
		fmt.Println(fe.Caret(text))
	}
	// Output:
	// column 19: "tcp.strem" is neither a field nor a protocol name that portlens knows. Did you mean "tcp.stream"?
	// tcp.port == 80 && tcp.strem == 3
	//                   ^~~~~~~~~
}
