//go:build !unix

package benchcap

func cpuTime() int64 { return 0 }
