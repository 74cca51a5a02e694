package config

import (
	"strconv"
	"strings"
	"time"
)

// registry is every option of imapsync 2.229 plus imapshift's own.
// To change what imapshift does with an option, change its Status:
// Implemented, NotImplemented or Accepted.
var registry = newRegistry(optionDefs())

func optionDefs() []*Option {
	var o []*Option
	add := func(opts ...*Option) { o = append(o, opts...) }

	// Connection.
	add(sides(&Option{Name: "host%d", Kind: String, Group: GroupConnection, Status: Implemented},
		`Source ("from") IMAP server.`, `Destination ("to") IMAP server.`)...)
	add(both(&Option{Name: "port%d", Kind: Int, Group: GroupConnection, Status: Implemented, Help: "Port on host%d; default 993 with SSL, 143 otherwise."})...)
	add(both(&Option{Name: "user%d", Kind: String, Group: GroupConnection, Status: Implemented, Help: "User to log in as on host%d."})...)
	add(both(&Option{Name: "password%d", Kind: String, Group: GroupConnection, Status: Implemented, Secret: true, Help: "Password of user%d; also $IMAPSYNC_PASSWORD%d or a prompt."})...)
	add(both(&Option{Name: "passfile%d", Kind: String, Arg: "file", Group: GroupConnection, Status: Implemented, Help: "File whose first line is the password of user%d."})...)
	add(&Option{Name: "inet4", Aliases: []string{"ipv4"}, Kind: Bool, Group: GroupConnection, Status: Implemented, Help: "Connect over IPv4 only."})
	add(&Option{Name: "inet6", Aliases: []string{"ipv6"}, Kind: Bool, Group: GroupConnection, Status: Implemented, Help: "Connect over IPv6 only."})
	add(&Option{Name: "timeout", Kind: Seconds, Default: 120 * time.Second, Group: GroupConnection, Status: Implemented, Help: "Inactivity timeout in seconds on both hosts; 0 means none."})
	add(both(&Option{Name: "timeout%d", Kind: Seconds, Default: 120 * time.Second, Group: GroupConnection, Status: Implemented, Help: "Inactivity timeout in seconds on host%d; 0 means none."})...)
	add(both(&Option{Name: "keepalive%d", Kind: Bool, Default: true, Group: GroupConnection, Status: Implemented, Help: "TCP keepalive on the host%d connection."})...)
	add(both(&Option{Name: "maxconns%d", Kind: Int, Default: 0, Group: GroupConnection, Status: Implemented, Help: "imapshift: at most this many connections open at once to host%d, all kinds (0: no cap but the server's; a server refusing more lowers it)."})...)
	add(both(&Option{Name: "reconnectretry%d", Kind: Int, Default: 3, Group: GroupConnection, Status: Implemented, Help: "Reconnections per IMAP command on host%d after a dropped connection."})...)
	add(&Option{Name: "id", Kind: Bool, Default: true, Group: GroupConnection, Status: Implemented, Help: "Exchange the IMAP ID command when the server offers it."})
	add(both(&Option{Name: "compress%d", Kind: Bool, Group: GroupConnection, Status: Implemented, Help: "Use COMPRESS=DEFLATE on host%d when the server offers it (a note says when it does not)."})...)
	add(&Option{Name: "buffersize", Kind: Int, Default: 4096, Group: GroupConnection, Status: Accepted, Help: "Socket buffer size of Mail::IMAPClient; imapshift sizes its buffers itself."})
	add(both(&Option{Name: "fastio%d", Kind: Bool, Group: GroupConnection, Status: Accepted, Help: "Fast_io of Mail::IMAPClient on host%d; no meaning in imapshift."})...)
	add(both(&Option{Name: "uid%d", Kind: Bool, Default: true, Group: GroupConnection, Status: Accepted, Help: "Accepted: imapshift always uses UID commands."})...)
	add(both(&Option{Name: "split%d", Kind: Int, Default: 100, Group: GroupConnection, Status: Accepted, Help: "Accepted: imapshift batches STORE/EXPUNGE by 500 UIDs."})...)

	// Encryption.
	add(both(&Option{Name: "ssl%d", Kind: Bool, Group: GroupTLS, Status: Implemented, Help: "Implicit TLS (IMAPS) on host%d; --nossl%d turns it and the SSL probe off."})...)
	add(both(&Option{Name: "tls%d", Kind: Bool, Group: GroupTLS, Status: Implemented, Help: "Require STARTTLS on host%d; --notls%d never encrypts. Default: STARTTLS when offered."})...)
	add(&Option{Name: "sslcheck", Kind: Bool, Default: true, Group: GroupTLS, Status: Implemented, Help: "Probe port 993 and turn SSL on when it answers, unless a port, ssl or tls option is given."})
	add(both(&Option{Name: "insecure%d", Kind: Bool, Group: GroupTLS, Status: Implemented, Help: "Do not verify the TLS certificate of host%d (imapshift verifies by default)."})...)
	add(both(&Option{Name: "sslargs%d", Kind: KeyValue, Group: GroupTLS, Status: Implemented, Help: "TLS setting for host%d: SSL_verify_mode, SSL_ca_file, SSL_ca_path, SSL_hostname, SSL_version, SSL_cipher_list."})...)

	// Authentication.
	add(both(&Option{Name: "authmech%d", Kind: String, Group: GroupAuth, Status: Implemented, Help: "Mechanism on host%d: LOGIN, PLAIN, CRAM-MD5, NTLM, XOAUTH2, OAUTHBEARER or PREAUTH."})...)
	add(both(&Option{Name: "authuser%d", Kind: String, Group: GroupAuth, Status: Implemented, Help: "Admin user that authenticates on behalf of user%d."})...)
	add(both(&Option{Name: "proxyauth%d", Kind: Bool, Group: GroupAuth, Status: Implemented, Help: "Log in as --authuser%d, then PROXYAUTH as user%d."})...)
	add(&Option{Name: "authmd5", Kind: Bool, Group: GroupAuth, Status: Implemented, Help: "Use CRAM-MD5 on both hosts."})
	add(both(&Option{Name: "authmd5%d", Kind: Bool, Group: GroupAuth, Status: Implemented, Help: "Use CRAM-MD5 on host%d."})...)
	add(both(&Option{Name: "domain%d", Kind: String, Group: GroupAuth, Status: Implemented, Help: "NTLM domain of user%d; without --authmech%d it selects NTLM (NTLMv2)."})...)
	add(both(&Option{Name: "oauthaccesstoken%d", Kind: String, Group: GroupAuth, Status: Implemented, Secret: true, Help: "OAuth2 access token for XOAUTH2 on host%d, or a file holding it."})...)
	add(both(&Option{Name: "oauthdirect%d", Kind: String, Group: GroupAuth, Status: Implemented, Secret: true, Help: "Raw XOAUTH2 string for host%d, or a file holding it."})...)
	add(both(&Option{Name: "oauth%d", Kind: String, Arg: "google|microsoft|file", Group: GroupAuth, Status: Implemented, Help: "imapshift: OAuth2 on host%d with the saved login of --user%d at google or microsoft (made by 'imapshift oauth login'), or the saved login in file; tokens are refreshed during the run."})...)
	add(both(&Option{Name: "oauthserviceaccount%d", Kind: String, Arg: "key.json", Group: GroupAuth, Status: Implemented, Help: "imapshift: OAuth2 on host%d with a Google Workspace service account key (domain-wide delegation): a token for each --user%d."})...)
	add(both(&Option{Name: "oauthapp%d", Kind: String, Arg: "tenant:client-id", Group: GroupAuth, Status: Implemented, Help: "imapshift: OAuth2 on host%d as a Microsoft 365 app (client credentials, IMAP.AccessAsApp) opening the mailbox of --user%d."})...)
	add(both(&Option{Name: "oauthappsecretfile%d", Kind: String, Arg: "file", Group: GroupAuth, Status: Implemented, Help: "imapshift: file whose first line is the client secret of --oauthapp%d (else $IMAPSHIFT_OAUTHAPP_SECRET%d or $IMAPSHIFT_OAUTHAPP_SECRET)."})...)
	add(both(&Option{Name: "oauthbearer%d", Kind: Bool, Group: GroupAuth, Status: Implemented, Help: "imapshift: log in to host%d with OAUTHBEARER (RFC 7628) instead of XOAUTH2 when the server offers it."})...)
	add(&Option{Name: "trylogin", Kind: Bool, Default: true, Group: GroupAuth, Status: Implemented, Help: "Retry once with LOGIN when another mechanism is refused."})
	add(&Option{Name: "sanitize", Kind: Bool, Default: true, Group: GroupAuth, Status: Implemented, Help: "Trim spaces around hosts, users and passwords; hosts also lose inner spaces and /."})

	// Folders.
	add(&Option{Name: "folder", Kind: List, Group: GroupFolders, Status: Implemented, Help: "Sync this folder (repeatable)."})
	add(&Option{Name: "folderrec", Kind: List, Group: GroupFolders, Status: Implemented, Help: "Sync this folder and its subfolders (repeatable)."})
	add(&Option{Name: "folderfirst", Kind: List, Group: GroupFolders, Status: Implemented, Help: "Sync this folder first (repeatable, in order)."})
	add(&Option{Name: "folderlast", Kind: List, Group: GroupFolders, Status: Implemented, Help: "Sync this folder last (repeatable, in order)."})
	add(&Option{Name: "include", Kind: List, Arg: "reg", Group: GroupFolders, Status: Implemented, Help: "Sync only folders matching this regex (repeatable; applied before --exclude)."})
	add(&Option{Name: "exclude", Kind: List, Arg: "reg", Group: GroupFolders, Status: Implemented, Help: "Skip folders matching this regex (repeatable)."})
	add(&Option{Name: "noexclude", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Forget every --exclude, the presets' included."})
	add(&Option{Name: "subscribed", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Sync only the folders subscribed on host1."})
	add(&Option{Name: "subscribe", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Subscribe on host2 to the folders subscribed on host1."})
	add(&Option{Name: "subscribeall", Aliases: []string{"subscribe_all"}, Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Subscribe on host2 to every synced folder."})
	add(both(&Option{Name: "prefix%d", Kind: String, Group: GroupFolders, Status: Implemented, Help: "Folder prefix of host%d (default: from NAMESPACE or guessed)."})...)
	add(both(&Option{Name: "sep%d", Kind: String, Group: GroupFolders, Status: Implemented, Help: "Folder separator of host%d (default: from NAMESPACE or guessed)."})...)
	add(&Option{Name: "fixslash2", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Replace / in host2 folder names when / is not the host2 separator."})
	add(&Option{Name: "fixInboxINBOX", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Map Inbox/... to INBOX/... when host2 has an INBOX."})
	add(&Option{Name: "f1f2", Kind: KeyValue, Arg: "f1=f2", Group: GroupFolders, Status: Implemented, Help: "Sync host1 folder f1 to host2 folder f2 (repeatable; beats --automap and --regextrans2)."})
	add(&Option{Name: "nof1f2", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Forget every --f1f2, the presets' included."})
	add(&Option{Name: "automap", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Map special folders (Sent, Junk, Drafts, Trash, Archive, All, Flagged) by their role."})
	add(&Option{Name: "justautomap", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Print the automap result and exit."})
	add(&Option{Name: "regextrans2", Kind: List, Arg: "reg", Group: GroupFolders, Status: Implemented, Help: "Perl s/// applied to each host2 folder name (repeatable)."})
	add(sides(&Option{Name: "subfolder%d", Kind: String, Group: GroupFolders, Status: Implemented},
		"Sync the hierarchy under host1 folder str to the root of host2.",
		"Sync the whole host1 hierarchy under host2 folder str.")...)
	add(&Option{Name: "mixfolders", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Merge host1 folders differing only by case into one host2 folder."})
	add(&Option{Name: "skipemptyfolders", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Do not create host2 folders for empty host1 folders."})
	add(&Option{Name: "checkfoldersexist", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Check that the folders asked for exist on host1."})
	add(&Option{Name: "checkselectable", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Check that the host1 folders are selectable."})
	add(&Option{Name: "create_folder_old", Kind: Bool, Group: GroupFolders, Status: Accepted, Help: "Accepted: there is one way to create folders (parents first)."})
	add(&Option{Name: "foldersizes", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Compute folder sizes before the sync."})
	add(&Option{Name: "foldersizesatend", Kind: Bool, Default: true, Group: GroupFolders, Status: Implemented, Help: "Compute folder sizes after the sync."})
	add(&Option{Name: "justfolders", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Only create folders; ignore messages."})
	add(&Option{Name: "justfoldersizes", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Print folder sizes and exit."})
	add(&Option{Name: "justfolderlists", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Print the folder lists and exit."})
	add(&Option{Name: "syncacls", Kind: Bool, Group: GroupFolders, Status: Implemented, Help: "Sync ACLs (non-standard across servers)."})

	// Messages.
	add(&Option{Name: "useheader", Kind: List, Default: []string{"Message-Id", "Received"}, Group: GroupMessages, Status: Implemented, Help: "Header identifying a message on both sides (repeatable; ALL for every header)."})
	add(&Option{Name: "skipheader", Kind: String, Arg: "reg", Group: GroupMessages, Status: Implemented, Help: "Ignore headers matching this regex when identifying messages."})
	add(&Option{Name: "skipsize", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Leave the size out of the message identity."})
	add(&Option{Name: "allowsizemismatch", Kind: Bool, Default: true, Group: GroupMessages, Status: Accepted, Help: "Accepted: the size appended is always the size actually fetched."})
	add(&Option{Name: "wholeheaderifneeded", Kind: Bool, Default: true, Group: GroupMessages, Status: Accepted, Help: "Accepted: messages without the chosen headers are unidentified (see --addheader)."})
	add(&Option{Name: "messageidnodomain", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Compare Message-Id without its @domain part."})
	add(&Option{Name: "addheader", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Add a Message-Id to messages that have none, so they can be synced."})
	add(&Option{Name: "syncduplicates", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Also sync messages that are duplicates on host1."})
	add(&Option{Name: "skipcrossduplicates", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Skip messages already copied from another folder."})
	add(&Option{Name: "usecache", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Keep a persistent sync state (on by default; see --statedir): later runs skip unchanged folders and read only what changed in the others. --nousecache turns it off."})
	add(&Option{Name: "nostate", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "imapshift: keep no sync state (the same as --nousecache): every run compares the headers of both sides."})
	add(&Option{Name: "cacheaftercopy", Kind: Bool, Default: true, Group: GroupMessages, Status: Accepted, Help: "Accepted: the state is written in batches, only for copies host2 confirmed."})
	add(&Option{Name: "statedir", Kind: String, Group: GroupMessages, Status: Implemented, Help: "imapshift: directory of the sync state (default: the user's cache directory/imapshift/state)."})
	add(&Option{Name: "useuid", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Identify messages by the saved UID map (implies --usecache); headers are compared where the map is missing or invalid."})
	add(&Option{Name: "syncinternaldates", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Give host2 messages the internal date of host1."})
	add(&Option{Name: "idatefromheader", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: `Set host2 internal dates from the "Date:" header.`})
	add(&Option{Name: "maxsize", Kind: Int64, Group: GroupMessages, Status: Implemented, Help: "Skip messages larger than int bytes."})
	add(&Option{Name: "minsize", Kind: Int64, Group: GroupMessages, Status: Implemented, Help: "Skip messages smaller than int bytes."})
	add(&Option{Name: "maxage", Kind: Float, Group: GroupMessages, Status: Implemented, Help: "Skip messages older than flo days."})
	add(&Option{Name: "minage", Kind: Float, Group: GroupMessages, Status: Implemented, Help: "Skip messages newer than flo days."})
	add(&Option{Name: "search", Kind: String, Group: GroupMessages, Status: Implemented, Help: "IMAP SEARCH selecting messages on both hosts."})
	add(both(&Option{Name: "search%d", Kind: String, Group: GroupMessages, Status: Implemented, Help: "IMAP SEARCH selecting messages on host%d."})...)
	add(&Option{Name: "abletosearch", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Use SEARCH for --minage/--maxage (--noabletosearch uses internal dates)."})
	add(both(&Option{Name: "abletosearch%d", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Use SEARCH on host%d."})...)
	add(&Option{Name: "checknoabletosearch", Kind: Bool, Default: true, Group: GroupMessages, Status: Accepted, Help: "Accepted: use --noabletosearch1/2 when a server's SEARCH is unreliable."})
	add(&Option{Name: "fetch_hash_set", Kind: String, Group: GroupMessages, Status: Accepted, Help: "Accepted: metadata is always fetched for 1:*."})
	add(&Option{Name: "checkmessageexists", Kind: Bool, Group: GroupMessages, Status: Accepted, Help: "Accepted: a message gone from host1 is reported as not fetched."})
	add(&Option{Name: "appendlimit", Kind: Int64, Group: GroupMessages, Status: Implemented, Help: "Largest message host2 accepts (default: its APPENDLIMIT)."})
	add(&Option{Name: "truncmess", Kind: Int64, Group: GroupMessages, Status: Implemented, Help: "Truncate messages to int bytes."})
	add(&Option{Name: "maxlinelength", Kind: Int, Group: GroupMessages, Status: Implemented, Help: "Skip messages with a line longer than int bytes."})
	add(&Option{Name: "minmaxlinelength", Kind: Int, Group: GroupMessages, Status: Implemented, Help: "Apply --maxlinelengthcmd to lines longer than int bytes."})
	add(&Option{Name: "maxlinelengthcmd", Kind: String, Arg: "cmd", Group: GroupMessages, Status: Implemented, Help: "With --maxlinelength N, pipe messages with a longer line through this command instead of skipping them."})
	add(&Option{Name: "skipmess", Kind: List, Arg: "reg", Group: GroupMessages, Status: Implemented, Help: "Skip messages matching this regex (repeatable)."})
	add(&Option{Name: "regexmess", Kind: List, Arg: "reg", Group: GroupMessages, Status: Implemented, Help: "Perl s/// applied to each message (repeatable)."})
	add(&Option{Name: "noregexmess", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Forget every --regexmess, including those set by presets."})
	add(&Option{Name: "pipemess", Kind: List, Arg: "cmd", Group: GroupMessages, Status: Implemented, Help: "Filter each message through this command (repeatable, piped in order)."})
	add(&Option{Name: "pipemesscheck", Kind: Bool, Default: true, Group: GroupMessages, Status: Implemented, Help: "Check --pipemess commands before connecting."})
	add(&Option{Name: "disarmreadreceipts", Kind: Bool, Group: GroupMessages, Status: Implemented, Help: "Disarm read receipts (an Exchange host2 issue)."})

	// Flags and labels.
	add(&Option{Name: "regexflag", Kind: List, Arg: "reg", Group: GroupFlags, Status: Implemented, Help: "Perl s/// applied to each flag list (repeatable)."})
	add(&Option{Name: "noregexflag", Kind: Bool, Group: GroupFlags, Status: Implemented, Help: "Forget every --regexflag, including those set by presets."})
	add(&Option{Name: "resyncflags", Kind: Bool, Default: true, Group: GroupFlags, Status: Implemented, Help: "Resync flags of messages already on host2."})
	add(&Option{Name: "syncflagsaftercopy", Kind: Bool, Group: GroupFlags, Status: Accepted, Help: "Accepted: flags travel with each APPEND, and a server that drops them is corrected by the next run's flag resync."})
	add(&Option{Name: "flagscase", Kind: Bool, Default: true, Group: GroupFlags, Status: Accepted, Help: "Accepted: system flags are always written in their canonical case (\\SEEN becomes \\Seen)."})
	add(&Option{Name: "filterflags", Kind: Bool, Default: true, Group: GroupFlags, Status: Accepted, Help: "Accepted: flags outside host2's PERMANENTFLAGS are always dropped (with a note)."})
	add(&Option{Name: "filterbuggyflags", Kind: Bool, Group: GroupFlags, Status: Implemented, Help: "Drop flags known to make servers fail."})
	add(&Option{Name: "synclabels", Kind: Bool, Group: GroupFlags, Status: Implemented, Help: "Give each message copied to a Gmail host2 the labels it has on host1 (X-GM-LABELS, or the folders it is in); on by default with --gmail1 --gmail2."})
	add(&Option{Name: "resynclabels", Kind: Bool, Group: GroupFlags, Status: Implemented, Help: "Also correct the Gmail labels of messages already on both sides; on by default with --gmail1 --gmail2."})
	add(&Option{Name: "gmaillabels", Kind: String, Arg: "str", Group: GroupFlags, Status: Implemented, Help: "imapshift: from Gmail to a server without labels, folders (a copy per label, the default), keywords (one copy, the other labels as keywords, All Mail to Archive) or header (one copy with an X-Gmail-Labels header)."})
	add(&Option{Name: "labelspriority", Kind: String, Arg: "str", Group: GroupFlags, Status: Implemented, Help: `imapshift: which label keeps a message's one copy, e.g. "INBOX,Work,*" (names, \Sent-style roles, prefix*, * for the rest; default "*,INBOX,\Sent,\Drafts,\Important,\Starred,\Spam,\Trash"); All Mail comes last.`})

	// Deletion.
	add(&Option{Name: "delete1", Aliases: []string{"delete"}, Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Delete host1 messages once transferred (implies --expunge1)."})
	add(&Option{Name: "delete2", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Delete host2 messages that are not on host1 (implies --uidexpunge2)."})
	add(&Option{Name: "delete2min", Kind: Int, Default: 100, Group: GroupDeletion, Status: Implemented, Help: "imapshift: --delete2threshold applies only to a folder where --delete2 would delete more than this many messages."})
	add(&Option{Name: "delete2threshold", Kind: Float, Default: 50.0, Group: GroupDeletion, Status: Implemented, Help: "imapshift: refuse --delete2 when it would delete more than this percentage of a host2 folder (see --force)."})
	add(&Option{Name: "force", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "imapshift: let --delete2 go beyond --delete2threshold."})
	add(&Option{Name: "delete2duplicates", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Delete duplicate messages on host2."})
	add(&Option{Name: "delete2folders", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Delete host2 folders that are not on host1."})
	add(&Option{Name: "delete2foldersonly", Kind: String, Arg: "reg", Group: GroupDeletion, Status: Implemented, Help: "Delete only host2 folders matching this regex."})
	add(&Option{Name: "delete2foldersbutnot", Kind: String, Arg: "reg", Group: GroupDeletion, Status: Implemented, Help: "Never delete host2 folders matching this regex."})
	add(&Option{Name: "delete1emptyfolders", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Delete empty host1 folders, INBOX excepted."})
	add(&Option{Name: "expunge1", Aliases: []string{"expunge"}, Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Expunge host1 folders."})
	add(&Option{Name: "expunge2", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "Expunge host2 folders."})
	add(&Option{Name: "uidexpunge2", Kind: Bool, Group: GroupDeletion, Status: Implemented, Help: "UID EXPUNGE the host2 messages deleted by --delete2."})
	add(&Option{Name: "expungeaftereach", Kind: Bool, Default: true, Group: GroupDeletion, Status: Accepted, Help: "Accepted: --delete1 deletions are batched per folder once each copy is confirmed on host2."})

	// Limits.
	add(&Option{Name: "errorsmax", Kind: Int, Default: 50, Group: GroupLimits, Status: Implemented, Help: "Stop after int errors."})
	add(&Option{Name: "maxmessagespersecond", Kind: Float, Group: GroupLimits, Status: Implemented, Help: "Average messages per second limit."})
	add(&Option{Name: "maxbytespersecond", Kind: Int64, Group: GroupLimits, Status: Implemented, Help: "Average bytes per second limit."})
	add(&Option{Name: "maxbytesafter", Kind: Int64, Group: GroupLimits, Status: Implemented, Help: "Start --maxbytespersecond after int bytes."})
	add(&Option{Name: "maxsleep", Kind: Float, Default: 2.0, Group: GroupLimits, Status: Implemented, Help: "Longest throttling pause in seconds."})
	add(&Option{Name: "exitwhenover", Kind: Int64, Group: GroupLimits, Status: Implemented, Help: "Stop once int bytes were transferred."})
	add(&Option{Name: "abortbyfile", Kind: Bool, Group: GroupLimits, Status: Implemented, Help: "With --abort, stop the run by creating <pidfile>abort<PID>, which the run looks for twice a second (it then exits 7)."})
	add(&Option{Name: "parallel", Kind: Int, Default: 4, Group: GroupLimits, Status: Implemented, Help: "Folders synced at the same time."})
	add(&Option{Name: "throttlemax", Kind: Int, Default: 600, Group: GroupLimits, Status: Implemented, Help: "imapshift: the longest backoff, in seconds, a throttling server (Office 365's \"Request is throttled\") may ask for; longer is a connection failure."})
	add(&Option{Name: "maxinflight", Kind: Bytes, Default: int64(32 << 20), Group: GroupLimits, Status: Implemented, Help: "imapshift: bytes of APPENDs written to one host2 connection and not yet confirmed (0: no bound); what a crash can leave landing late on host2."})
	add(&Option{Name: "settlemax", Kind: Int, Default: 30, Group: GroupLimits, Status: Implemented, Help: "imapshift: seconds to wait at most for a host2 folder to stop changing after a lost connection or a killed run, before reading it."})
	add(&Option{Name: "bodybudget", Kind: Bytes, Default: int64(8 << 20), Group: GroupLimits, Status: Implemented, Help: "Message bytes held in memory at once, over all workers."})
	add(&Option{Name: "multiappend", Kind: Bool, Default: true, Group: GroupLimits, Status: Implemented, Help: "imapshift: send several messages per APPEND when host2 offers MULTIAPPEND (one transaction per batch)."})

	// Logging.
	// Run control (package runctl).
	add(&Option{Name: "log", Kind: Bool, Default: true, Group: GroupLogging, Status: Implemented, Help: "Write a log file of sync, folders and sizes runs: the terminal's output minus the progress bars (--nolog: do not)."})
	add(&Option{Name: "logfile", Kind: String, Arg: "file", Group: GroupLogging, Status: Implemented, Help: "Log file path (joined under --logdir when given; default YYYY_MM_DD_HH_MM_SS_mmm_user1_user2.txt)."})
	add(&Option{Name: "logdir", Kind: String, Arg: "dir", Group: GroupLogging, Status: Implemented, Help: "Log directory (default LOG_imapshift, in the current directory)."})
	add(&Option{Name: "errorsdump", Kind: Bool, Default: true, Group: GroupLogging, Status: Implemented, Help: "List the errors at the end."})
	add(&Option{Name: "json", Kind: String, Arg: "file", Group: GroupLogging, Status: Implemented, Help: "Write the final report as JSON to file (- for stdout)."})
	add(&Option{Name: "http", Kind: String, Arg: "addr", Group: GroupLogging, Status: Implemented, Help: "imapshift: while the run goes on, serve a live status page (/), the same as JSON (/api/status) and Prometheus metrics (/metrics) on addr; :8080 listens on 127.0.0.1 only, name another address (0.0.0.0:8080) to be reached from elsewhere."})
	add(&Option{Name: "showpasswords", Kind: Bool, Group: GroupLogging, Status: Implemented, Help: "Show passwords in the printed command line instead of MASKED."})
	add(&Option{Name: "tail", Kind: Bool, Group: GroupLogging, Status: Implemented, Help: "Print the log file of the run whose PID is in the PID file of these accounts (or --pidfile) and follow it until that run exits; exit 0."})
	add(both(&Option{Name: "emailreport%d", Kind: Bool, Group: GroupLogging, Status: Implemented, Help: "Append the final report to the host%d INBOX."})...)
	add(&Option{Name: "modulesversion", Aliases: []string{"modules_version"}, Kind: Bool, Default: true, Group: GroupLogging, Status: Accepted, Help: "Print the Perl modules list (imapsync only)."})
	add(&Option{Name: "releasecheck", Kind: Bool, Group: GroupLogging, Status: Accepted, Help: "Check for a new release: accepted, does nothing (imapshift never calls home)."})

	// Debugging.
	add(&Option{Name: "debug", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Debug mode: print the effective run settings at start; implies --debugfolders and --debugmemory."})
	add(&Option{Name: "debugimap", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print the IMAP conversation with both hosts (secrets masked)."})
	add(both(&Option{Name: "debugimap%d", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print the IMAP conversation with host%d (secrets masked)."})...)
	add(&Option{Name: "debugfolders", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print, before the statistics, each host1 folder with its host2 name, the rule that named it and its action or skip reason."})
	add(&Option{Name: "debugcontent", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print the content of each message transferred, between marker lines (huge output)."})
	add(&Option{Name: "debugflags", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print, for each message analysed, its host1 flags, the flags meant for host2 and, when it is already there, host2's."})
	add(&Option{Name: "debugmemory", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print the memory use (peak RSS, Go heap, goroutines) every 5 seconds and at the end (imapsync: after each copy)."})
	add(&Option{Name: "debuglabels", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Print each host2 message's Gmail labels, host1's, and what is added or removed."})
	for _, name := range []string{"debugcache", "debugmaxlinelength", "debugsig", "debugenv", "debuglist", "debugdev"} {
		add(&Option{Name: name, Kind: Bool, Group: GroupDebug, Status: Accepted, Help: "Accepted, no extra output yet: debug output about " + strings.TrimPrefix(name, "debug") + "."})
	}
	add(&Option{Name: "debugcrossduplicates", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "With --skipcrossduplicates, say which host2 folder already holds each skipped message."})
	add(&Option{Name: "debugssl", Kind: Int, Default: 1, Group: GroupDebug, Status: Accepted, Help: "SSL debug level, 0 to 4."})
	add(&Option{Name: "debugsleep", Kind: Float, Group: GroupDebug, Status: Accepted, Help: "Pause flo seconds at debug points."})
	add(&Option{Name: "tests", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "imapsync's built-in unit tests: imapshift's are Go tests (make test, see README); prints that and exits 64."})
	add(&Option{Name: "testsdebug", Aliases: []string{"tests_debug"}, Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Like --tests: prints how to run imapshift's tests and exits 64."})
	add(&Option{Name: "testsunit", Kind: String, Group: GroupDebug, Status: Implemented, Help: "Like --tests: prints how to run imapshift's tests and exits 64."})
	add(&Option{Name: "testslive", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "imapsync's live test against its public server: imapshift's live tests run locally (make test); prints that and exits 64."})
	add(&Option{Name: "testslive6", Kind: Bool, Group: GroupDebug, Status: Implemented, Help: "Like --testslive: prints how to run imapshift's tests and exits 64."})

	// Presets.
	add(both(&Option{Name: "gmail%d", Kind: Bool, Group: GroupPresets, Status: Implemented, Help: "Host%d is Gmail: same as --preset%d gmail (see imapshift presets show gmail)."})...)
	add(both(&Option{Name: "office%d", Kind: Bool, Group: GroupPresets, Status: Implemented, Help: "Host%d is Office 365: same as --preset%d office365."})...)
	add(both(&Option{Name: "exchange%d", Kind: Bool, Group: GroupPresets, Status: Implemented, Help: "Host%d is Exchange: same as --preset%d exchange."})...)
	add(both(&Option{Name: "domino%d", Kind: Bool, Group: GroupPresets, Status: Implemented, Help: "Host%d is Domino: same as --preset%d domino."})...)
	add(both(&Option{Name: "preset%d", Kind: String, Arg: "name", Group: GroupPresets, Status: Implemented, Help: "Fill the host%d options left unset from a preset: a built-in name, NAME.lua in --presetdir, or a file."})...)
	add(&Option{Name: "presetdir", Kind: String, Arg: "dir", Group: GroupPresets, Status: Implemented, Help: "Directory of shared presets (default: imapshift/presets in the user's configuration directory)."})

	// Verify (imapshift verify only).
	add(&Option{Name: "bodies", Kind: Bool, Group: GroupVerify, Status: Implemented, Help: "imapshift verify: also compare a SHA-256 of every message's bytes, fetched from both sides (streamed, bounded memory)."})

	// Miscellaneous.
	add(&Option{Name: "dry", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Change nothing; print what would be done."})
	add(&Option{Name: "dry1", Kind: Bool, Group: GroupMisc, Status: Accepted, Help: "Accepted: --dry already fetches and transforms each message for its preview, and writes nothing."})
	add(&Option{Name: "justconnect", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Connect to the hosts given, print their banner and capabilities, and exit."})
	add(&Option{Name: "justlogin", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Log in to both hosts and exit."})
	add(&Option{Name: "justbanner", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Print the start banner and exit."})
	add(&Option{Name: "tmpdir", Kind: String, Arg: "dir", Group: GroupMisc, Status: Implemented, Help: "Directory for temporary files and the default pidfile (default: the system's)."})
	add(&Option{Name: "pidfile", Kind: String, Arg: "file", Group: GroupMisc, Status: Implemented, Help: `PID file (default tmpdir/imapshift_user1_user2.pid, one per account pair; "" for none).`})
	add(&Option{Name: "pidfilelocking", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Exit 8 when the PID file names a running process, whatever it is (one naming a dead PID is removed)."})
	add(&Option{Name: "abort", Kind: Bool, Group: GroupMisc, Status: Implemented, Help: "Stop gracefully the run whose PID is in the PID file of these accounts (or --pidfile), wait for it, exit 0."})
	add(&Option{Name: "sigexit", Kind: String, Arg: "sigs", Group: GroupMisc, Status: Accepted, Help: "Accepted: imapshift's signals are fixed: INT and TERM stop gracefully (exit 6), twice within 2 s at once."})
	add(&Option{Name: "sigreconnect", Kind: String, Arg: "sigs", Group: GroupMisc, Status: Accepted, Help: "Accepted: lost connections are reopened by themselves (--reconnectretry1/2); no signal reconnects."})
	add(&Option{Name: "sigignore", Kind: String, Arg: "sigs", Group: GroupMisc, Status: Accepted, Help: "Accepted: see --sigexit."})
	add(&Option{Name: "script", Kind: List, Arg: "file", Group: GroupMisc, Status: Implemented, Help: "Lua hook script (repeatable; run in order, after the built-in plugins; see imapshift script test)."})
	add(&Option{Name: "scripttimeout", Kind: Seconds, Default: 2 * time.Second, Group: GroupMisc, Status: Implemented, Help: "Time limit of one Lua hook call; a message whose hook runs longer fails."})
	add(&Option{Name: "scriptmaxmemory", Kind: Int, Default: 256, Arg: "MB", Group: GroupMisc, Status: Implemented, Help: "Memory budget of the Lua hook calls running at once, in MB; a call past it fails (\"script used more than N MB\") and the run goes on (0: no budget)."})
	add(&Option{Name: "version", Kind: Bool, NoNeg: true, Group: GroupMisc, Status: Implemented, Help: "Print the version and exit."})
	add(&Option{Name: "help", Kind: Bool, NoNeg: true, Short: "h", Group: GroupMisc, Status: Implemented, Help: "Print this help and exit."})
	return o
}

// both declares the host1 and host2 variants of an option: %d in its name
// and help becomes 1 or 2.
func both(o *Option) []*Option { return sides(o, o.Help, o.Help) }

func sides(o *Option, help1, help2 string) []*Option {
	var out []*Option
	for n, help := range []string{help1, help2} {
		c := *o
		d := strconv.Itoa(n + 1)
		c.Name = strings.ReplaceAll(o.Name, "%d", d)
		c.Help = strings.ReplaceAll(help, "%d", d)
		out = append(out, &c)
	}
	return out
}
