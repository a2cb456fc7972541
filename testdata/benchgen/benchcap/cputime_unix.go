//go:build unix

package benchcap

import "syscall"

// cpuTime is the process's user+system CPU time in ns: on a busy machine
// it moves less than the wall time the benchmark reports.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
