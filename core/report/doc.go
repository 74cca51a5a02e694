// Package report holds what imapshift tells the user at the end of a run:
// the statistics block, the folder sizes tables, the error listing and the
// exit code chosen from the errors, a JSON report, and helpers for the
// formats imapsync uses (byte sizes, timestamps, masked command lines).
//
// Text output is imapsync 2.229's, byte for byte, wherever a script may
// read it: every "Label : value" line of the statistics block, the folder
// sizes tables, "Detected N errors", the error listing and the "Exiting
// with return value" line. Only lines that name imapsync itself
// (the release check hint and the homepage) name imapshift instead; see
// StatsOptions.
//
// Stats and Errors are safe for concurrent use; everything else works on
// values (Snapshot, []FolderSize, ...).
package report
