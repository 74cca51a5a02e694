// Command imapshift migrates IMAP accounts. Its command line is a drop-in
// for imapsync's: same options, same meaning, same exit codes.
package main

import "os"

func main() {
	stop := startProfiles()
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
