package config

import (
	"fmt"
	"os"
	"testing"
)

// cacheHome is the user cache directory of this package's tests: the sync
// state is kept by default, under $XDG_CACHE_HOME, and no test may write
// it into the cache of the machine's user or share it with another
// package's tests.
var cacheHome string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imapshift-config-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheHome = dir
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
