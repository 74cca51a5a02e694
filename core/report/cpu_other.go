//go:build !unix

package report

// CPUSeconds returns 0: the CPU time is not measured on this system.
func CPUSeconds() float64 { return 0 }
