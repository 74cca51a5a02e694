// Package imapmem runs in-process IMAP servers for tests and for the
// `demo` command. A Server listens on 127.0.0.1 (OS-chosen port), keeps
// everything in memory and can inject faults.
//
//	srv := imapmem.StartT(t, imapmem.Options{})
//	u := srv.AddUser("alice", "secret")           // has an empty INBOX
//	u.Seed("Archive/2020", imapmem.Message{Raw: raw, Flags: []imap.Flag{imap.FlagSeen}, Date: d})
//	u.SeedDemo()                                   // the demo mailbox of package testdata
//	c, _ := imapclient.DialInsecure(srv.Addr(), nil)
//	...
//	msgs, _ := u.Messages("Archive/2020")         // UID, flags, internal date, raw bytes
//	srv.Faults().RefuseCommand("APPEND", 1, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"})
//
// # Backend
//
// The protocol is go-imap's imapserver; messages live in imapmemserver.
// A thin session wrapper handles login, the mailbox list, subscriptions and
// special-use attributes itself, and delegates everything else.
//
// Supported: LOGIN, AUTHENTICATE PLAIN (also over plain text), SELECT,
// EXAMINE, CREATE (with parents, and with USE (…) = CREATE-SPECIAL-USE),
// DELETE, RENAME (with inferiors; RENAME INBOX moves the messages and leaves
// an empty INBOX), SUBSCRIBE, UNSUBSCRIBE, LIST (LIST-EXTENDED selection
// and return options SUBSCRIBED, SPECIAL-USE, CHILDREN, STATUS), LSUB,
// STATUS (incl. SIZE), NAMESPACE (one personal namespace, prefix "",
// delimiter '/'), APPEND (APPENDUID), FETCH (all items incl. BINARY and
// partial sections; BODY[] without .PEEK sets \Seen), STORE, COPY/MOVE
// (COPYUID), SEARCH/ESEARCH/SEARCHRES, EXPUNGE, UID EXPUNGE, CLOSE,
// UNSELECT, IDLE, ENABLE, STARTTLS. The hierarchy separator is '/';
// mailbox names are UTF-8 in the API and modified UTF-7 on the wire
// (converted by go-imap).
//
// Mailbox list semantics (implemented here, not by memserver): LIST
// returns \HasChildren/\HasNoChildren when CHILDREN is advertised, the
// special-use attribute of a mailbox on every LIST (like Dovecot) when
// SPECIAL-USE is advertised, \Subscribed only with RETURN (SUBSCRIBED) or
// the SUBSCRIBED selection option. Subscriptions are a separate set of
// names as RFC 3501 wants: SUBSCRIBE to a missing mailbox succeeds, DELETE
// keeps the subscription (LIST (SUBSCRIBED) then shows \NonExistent, LSUB
// \Noselect), RENAME moves it. CREATE of "a/b/c" creates missing "a" and
// "a/b" as ordinary mailboxes. DELETE of a mailbox with children is
// allowed and leaves the children; DELETE INBOX is refused.
//
// Limitations (memserver and imapserver, go-imap v2.0.0-beta.8):
//   - No CONDSTORE/QRESYNC (no MODSEQ anywhere), QUOTA, ACL, ID, METADATA,
//     SORT, THREAD, COMPRESS, CATENATE, UTF8 APPEND,
//     UNAUTHENTICATE. Do not advertise them in Options.Caps. X-GM-EXT-1
//     comes with Options.Gmail only (see below).
//     An unknown command before login (e.g. ID) gets "* BYE Unknown
//     command" and the connection is closed; after login it gets BAD.
//   - Keywords are stored lower-cased: APPEND/STORE of "$Label1" is
//     returned as "$label1" ("NonJunk" as "nonjunk"). System flags and
//     the well-known keywords ($Forwarded, $Junk, $NotJunk, $MDNSent,
//     $Phishing, $Important) come back canonical because go-imap's client
//     canonicalises them. Compare flags case-insensitively
//     (StoredMessage.HasFlag).
//   - PERMANENTFLAGS always contains \*; any keyword is accepted.
//   - EXAMINE is not read-only in memserver (STORE works); only
//     BODY.PEEK avoids setting \Seen.
//   - UIDVALIDITY is a per-user counter (1, 2, 3… in creation order) and
//     changes when a mailbox is deleted and re-created; renamed mailboxes
//     keep theirs.
//   - Internal dates are kept exactly but sent with second precision.
//   - Messages are whole in memory; the APPEND limit is 100 MiB unless
//     Options.AppendLimit is set (then advertised as APPENDLIMIT=n).
//   - Patterns in LIST are matched case-sensitively, except that the exact
//     name INBOX is case-insensitive. RECURSIVEMATCH is accepted but no
//     CHILDINFO is returned. LIST "%" does not invent \Noselect parents
//     for deleted intermediate levels.
//   - CREATE … (USE (…)) needs CREATE-SPECIAL-USE in Caps (BAD otherwise);
//     unknown attributes get NO [USEATTR].
//   - SeedDemo and Seed append: calling them twice duplicates messages.
//
// # Faults
//
// See Faults. Command faults are applied on the wire by a connection
// wrapper that hands the server one command line at a time, so they act
// on exactly the command being executed, in arrival order, including
// pipelined commands, before the server runs it. Byte faults cut the TCP
// connection after a number of bytes written to the client. Greeting
// faults (RefuseGreetings, LimitGreetings) answer a new connection with
// "* BYE" instead of the greeting. Inspection helpers (User.Messages etc.)
// use a private connection that is neither counted nor faulted.
//
// responses.go holds the answers real servers send when they throttle or
// limit (Office 365's "Request is throttled. Suggested Backoff Time: N
// milliseconds", Gmail's "[UNAVAILABLE] Too many simultaneous
// connections", ...), spelt exactly, to arm with the fault methods.
//
// # MULTIAPPEND and message faults
//
// With MULTIAPPEND in Options.Caps, or while PoisonMessage or
// ByeInMultiAppend is armed, APPEND is executed by the fault layer rather
// than by imapserver (which takes one message per command and cannot look
// at a message before storing it). It reads the whole command (sending
// the continuation requests of synchronizing literals itself), applies the
// message faults, and stores all the messages or none through the
// session, answering OK [APPENDUID v uid-set]. It refuses a message over
// the append limit with NO [TOOBIG] (before the literal when it is
// synchronizing, as imapserver does), a missing mailbox with NO
// [TRYCREATE], and it takes the mailbox name as an atom or quoted string
// only. MULTIAPPEND is added to the capability lists the server writes.
// Like the command faults, this does not work after STARTTLS; use the
// implicit-TLS listener.
//
// # Gmail
//
// Options.Gmail gives the server Gmail's personality (gmail.go): each
// user has the special folders of "[Gmail]/" ("[Google Mail]/" with
// German names under GmailLocalised) with their special-use attributes,
// "[Gmail]" itself \Noselect; every message lives once in All Mail and
// each label folder holds a copy of the messages with that label
// (INBOX is \Inbox, the special folders \Sent, \Starred, \Important,
// \Draft, \Trash, \Spam). X-GM-EXT-1 is advertised; FETCH of
// X-GM-LABELS, X-GM-MSGID and X-GM-THRID (with UID, RFC822.SIZE,
// INTERNALDATE and BODY.PEEK[HEADER(.FIELDS)] in the same command), STORE
// of X-GM-LABELS (replace, +, -, .SILENT) and SEARCH X-GM-RAW (a subset
// of Gmail's syntax, gmailsearch.go) are answered by the fault layer
// (gmailwire.go), since imapserver cannot parse them; like the other
// command faults, not after STARTTLS. APPEND into a label folder labels
// the message; APPEND of bytes already in the account adds the label and
// creates no second message. Expunging a copy from a label folder
// removes the label; from All Mail, the message. COPY and MOVE do not
// label (the model does not know their copies). Messages over 25 MB get
// NO [TOOBIG], and a 16th login of one user NO [UNAVAILABLE] Too many
// simultaneous connections. User.SeedLabels, SetLabels, GmailMessages and
// AllMail seed and inspect the model.
package imapmem
