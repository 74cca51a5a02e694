// Package dates holds imapshift's pure date and rate arithmetic:
//
//   - GoodDate, a tolerant parser for Date: header values and INTERNALDATE
//     strings (imapsync's good_date), and FormatIMAP, which renders the IMAP
//     date-time used as the APPEND date argument;
//   - Epoch, the Unix time of an IMAP date-time string (imapsync's epoch);
//   - AgeWindow, SearchDates and FromMaxMin, the --maxage/--minage message
//     selection (imapsync's msgs_from_maxmin);
//   - SleepMaxMessages, SleepMaxBytes and SleepIfNeeded, the
//     --maxmessagespersecond/--maxbytespersecond arithmetic.
//
// Nothing in this package does I/O or reads the clock: every function takes
// "now" or the elapsed time as an argument, is deterministic, and is safe for
// concurrent use.
package dates
