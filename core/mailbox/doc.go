// Package mailbox holds the pure folder-name logic of imapshift: the modified
// UTF-7 codec, imapsync's display rendering, separator and prefix guessing,
// folder selection (--folder, --include, --exclude, --folderfirst, ...), the
// host1 → host2 name translation (imap2_folder_name in imapsync) and the
// automap special-folder matching. docs/folder-names.md describes the rules
// as a whole.
//
// Names are UTF-8. go-imap v2 decodes modified UTF-7 on the wire, and since
// that decoding is a bijection every rule here works on UTF-8 names; only
// ordering (imapsync sorts the raw names) and display go back to UTF-7.
//
// Nothing in this package does I/O; every function is deterministic and safe
// for concurrent use unless its documentation says otherwise.
package mailbox
