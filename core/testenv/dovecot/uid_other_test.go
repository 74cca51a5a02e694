//go:build !unix

package dovecot

import "os"

func fileUID(os.FileInfo) int { return -1 }
