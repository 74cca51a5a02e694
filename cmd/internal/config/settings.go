package config

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/statuspage"
	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/exitcode"
)

// Settings is the parsed command line, typed, for the engine. Every option
// of the registry has exactly one field here, bound by its `opt` tag (# is
// the side number in HostOptions). Fields without a tag are derived.
type Settings struct {
	Host1 HostOptions `side:"1"`
	Host2 HostOptions `side:"2"`

	// Connection and encryption.
	Inet4      bool          `opt:"inet4"`
	Inet6      bool          `opt:"inet6"`
	Timeout    time.Duration `opt:"timeout"` // already applied to HostN.Timeout
	ID         bool          `opt:"id"`
	BufferSize int           `opt:"buffersize"`
	SSLCheck   bool          `opt:"sslcheck"`

	// Authentication.
	AuthMD5  bool `opt:"authmd5"` // already applied to HostN.AuthMD5
	TryLogin bool `opt:"trylogin"`
	Sanitize bool `opt:"sanitize"`

	// Folders.
	Folder            []string `opt:"folder"`
	FolderRec         []string `opt:"folderrec"`
	FolderFirst       []string `opt:"folderfirst"`
	FolderLast        []string `opt:"folderlast"`
	Include           []string `opt:"include"`
	Exclude           []string `opt:"exclude"`
	NoExclude         bool     `opt:"noexclude"`
	Subscribed        bool     `opt:"subscribed"`
	Subscribe         bool     `opt:"subscribe"`
	SubscribeAll      bool     `opt:"subscribeall"`
	FixSlash2         bool     `opt:"fixslash2"`
	FixInboxINBOX     bool     `opt:"fixInboxINBOX"`
	F1F2              []KV     `opt:"f1f2"`
	NoF1F2            bool     `opt:"nof1f2"`
	Automap           bool     `opt:"automap"`
	JustAutomap       bool     `opt:"justautomap"`
	RegexTrans2       []string `opt:"regextrans2"`
	MixFolders        bool     `opt:"mixfolders"`
	SkipEmptyFolders  bool     `opt:"skipemptyfolders"`
	CheckFoldersExist bool     `opt:"checkfoldersexist"`
	CheckSelectable   bool     `opt:"checkselectable"`
	CreateFolderOld   bool     `opt:"create_folder_old"`
	FolderSizes       bool     `opt:"foldersizes"`
	FolderSizesAtEnd  bool     `opt:"foldersizesatend"`
	JustFolders       bool     `opt:"justfolders"`
	JustFolderSizes   bool     `opt:"justfoldersizes"`
	JustFolderLists   bool     `opt:"justfolderlists"`
	SyncACLs          bool     `opt:"syncacls"`

	// Messages.
	UseHeader           []string `opt:"useheader"`
	SkipHeader          string   `opt:"skipheader"`
	SkipSize            bool     `opt:"skipsize"`
	AllowSizeMismatch   bool     `opt:"allowsizemismatch"`
	WholeHeaderIfNeeded bool     `opt:"wholeheaderifneeded"`
	MessageIDNoDomain   bool     `opt:"messageidnodomain"`
	AddHeader           bool     `opt:"addheader"`
	SyncDuplicates      bool     `opt:"syncduplicates"`
	SkipCrossDuplicates bool     `opt:"skipcrossduplicates"`
	UseCache            bool     `opt:"usecache"`
	NoState             bool     `opt:"nostate"`
	CacheAfterCopy      bool     `opt:"cacheaftercopy"`
	UseUID              bool     `opt:"useuid"`
	StateDir            string   `opt:"statedir"`
	SyncInternalDates   bool     `opt:"syncinternaldates"` // off when IDateFromHeader
	IDateFromHeader     bool     `opt:"idatefromheader"`
	MaxSize             int64    `opt:"maxsize"`
	MinSize             int64    `opt:"minsize"`
	MaxAge              float64  `opt:"maxage"`
	MinAge              float64  `opt:"minage"`
	Search              string   `opt:"search"` // already applied to HostN.Search
	AbleToSearch        bool     `opt:"abletosearch"`
	CheckNoAbleToSearch bool     `opt:"checknoabletosearch"`
	FetchHashSet        string   `opt:"fetch_hash_set"`
	CheckMessageExists  bool     `opt:"checkmessageexists"`
	AppendLimit         int64    `opt:"appendlimit"`
	TruncMess           int64    `opt:"truncmess"`
	MaxLineLength       int      `opt:"maxlinelength"`
	MinMaxLineLength    int      `opt:"minmaxlinelength"`
	MaxLineLengthCmd    string   `opt:"maxlinelengthcmd"`
	SkipMess            []string `opt:"skipmess"`
	RegexMess           []string `opt:"regexmess"`
	NoRegexMess         bool     `opt:"noregexmess"`
	PipeMess            []string `opt:"pipemess"`
	PipeMessCheck       bool     `opt:"pipemesscheck"`
	DisarmReadReceipts  bool     `opt:"disarmreadreceipts"`

	// Flags and labels.
	RegexFlag          []string `opt:"regexflag"`
	NoRegexFlag        bool     `opt:"noregexflag"`
	ResyncFlags        bool     `opt:"resyncflags"`
	SyncFlagsAfterCopy bool     `opt:"syncflagsaftercopy"`
	FlagsCase          bool     `opt:"flagscase"`
	FilterFlags        bool     `opt:"filterflags"`
	FilterBuggyFlags   bool     `opt:"filterbuggyflags"`
	SyncLabels         bool     `opt:"synclabels"`
	ResyncLabels       bool     `opt:"resynclabels"`
	GmailLabels        string   `opt:"gmaillabels"`
	LabelsPriority     string   `opt:"labelspriority"`

	// Deletion.
	Delete1              bool    `opt:"delete1"`
	Delete2              bool    `opt:"delete2"`
	Delete2Duplicates    bool    `opt:"delete2duplicates"`
	Delete2Threshold     float64 `opt:"delete2threshold"`
	Delete2Min           int     `opt:"delete2min"`
	Force                bool    `opt:"force"`
	Delete2Folders       bool    `opt:"delete2folders"`
	Delete2FoldersOnly   string  `opt:"delete2foldersonly"`
	Delete2FoldersButNot string  `opt:"delete2foldersbutnot"`
	Delete1EmptyFolders  bool    `opt:"delete1emptyfolders"`
	Expunge1             bool    `opt:"expunge1"`
	Expunge2             bool    `opt:"expunge2"`
	UIDExpunge2          bool    `opt:"uidexpunge2"`
	ExpungeAfterEach     bool    `opt:"expungeaftereach"`

	// Limits.
	ErrorsMax            int     `opt:"errorsmax"`
	MaxMessagesPerSecond float64 `opt:"maxmessagespersecond"`
	MaxBytesPerSecond    int64   `opt:"maxbytespersecond"`
	MaxBytesAfter        int64   `opt:"maxbytesafter"`
	MaxSleep             float64 `opt:"maxsleep"`
	ExitWhenOver         int64   `opt:"exitwhenover"`
	AbortByFile          bool    `opt:"abortbyfile"`
	Parallel             int     `opt:"parallel"`
	BodyBudget           int64   `opt:"bodybudget"`
	MaxInFlight          int64   `opt:"maxinflight"`
	SettleMax            int     `opt:"settlemax"`
	ThrottleMax          int     `opt:"throttlemax"`
	MultiAppend          bool    `opt:"multiappend"`

	// Logging.
	Log            bool   `opt:"log"`
	LogFile        string `opt:"logfile"`
	LogDir         string `opt:"logdir"`
	ErrorsDump     bool   `opt:"errorsdump"`
	JSON           string `opt:"json"`
	HTTP           string `opt:"http"` // the status page's address, "" for none
	ShowPasswords  bool   `opt:"showpasswords"`
	Tail           bool   `opt:"tail"`
	ModulesVersion bool   `opt:"modulesversion"`
	ReleaseCheck   bool   `opt:"releasecheck"`

	// Debugging.
	Debug                bool    `opt:"debug"`
	DebugIMAP            bool    `opt:"debugimap"` // already applied to HostN.DebugIMAP
	DebugFolders         bool    `opt:"debugfolders"`
	DebugContent         bool    `opt:"debugcontent"`
	DebugFlags           bool    `opt:"debugflags"`
	DebugMemory          bool    `opt:"debugmemory"`
	DebugCrossDuplicates bool    `opt:"debugcrossduplicates"`
	DebugCache           bool    `opt:"debugcache"`
	DebugLabels          bool    `opt:"debuglabels"`
	DebugMaxLineLength   bool    `opt:"debugmaxlinelength"`
	DebugSig             bool    `opt:"debugsig"`
	DebugEnv             bool    `opt:"debugenv"`
	DebugList            bool    `opt:"debuglist"`
	DebugDev             bool    `opt:"debugdev"`
	DebugSSL             int     `opt:"debugssl"`
	DebugSleep           float64 `opt:"debugsleep"`
	Tests                bool    `opt:"tests"`
	TestsDebug           bool    `opt:"testsdebug"`
	TestsUnit            string  `opt:"testsunit"`
	TestsLive            bool    `opt:"testslive"`
	TestsLive6           bool    `opt:"testslive6"`

	// Miscellaneous.
	Dry            bool          `opt:"dry"`
	Dry1           bool          `opt:"dry1"` // accepted: --dry already previews
	JustConnect    bool          `opt:"justconnect"`
	JustLogin      bool          `opt:"justlogin"`
	JustBanner     bool          `opt:"justbanner"`
	TmpDir         string        `opt:"tmpdir"` // the system's when not given
	PidFile        string        `opt:"pidfile"`
	PidFileLocking bool          `opt:"pidfilelocking"`
	Abort          bool          `opt:"abort"`
	SigExit        string        `opt:"sigexit"`
	SigReconnect   string        `opt:"sigreconnect"`
	SigIgnore      string        `opt:"sigignore"`
	Script         []string      `opt:"script"`
	ScriptTimeout  time.Duration `opt:"scripttimeout"`
	ScriptMaxMem   int           `opt:"scriptmaxmemory"`
	PresetDir      string        `opt:"presetdir"`
	Version        bool          `opt:"version"`
	Help           bool          `opt:"help"`

	// Verify (imapshift verify only).
	Bodies bool `opt:"bodies"`

	// Set holds the canonical names of the options given on the command
	// line (after alias and negation resolution).
	Set map[string]bool
	// Args is the command line (without the program name), with secrets
	// MASKED unless --showpasswords.
	Args []string
	// Trace receives the IMAP conversation of the hosts with DebugIMAP.
	Trace io.Writer
	// Probe tells whether port 993 of host answers TLS, for ProbeSSL;
	// nil is conn.ProbeSSL.
	Probe func(ctx context.Context, network, host string) bool
	// Dialed holds the logins DialAhead began, by side (nil: none).
	Dialed [2]*conn.Pending
	// presets are the presets applied to the options (preset.go); their
	// hooks run before the --script ones.
	presets []*appliedPreset
}

// HostOptions are the options that exist once per side (--host1/--host2).
type HostOptions struct {
	Host           string        `opt:"host#"` // sanitized unless --nosanitize
	Port           int           `opt:"port#"` // 0: 993 with SSL, else 143
	User           string        `opt:"user#"`
	Password       string        `opt:"password#"` // filled from passfile, env or prompt before login
	PassFile       string        `opt:"passfile#"`
	Timeout        time.Duration `opt:"timeout#"` // --timeout applies when --timeoutN is not given
	KeepAlive      bool          `opt:"keepalive#"`
	ReconnectRetry int           `opt:"reconnectretry#"`
	MaxConns       int           `opt:"maxconns#"`
	Compress       bool          `opt:"compress#"`
	FastIO         bool          `opt:"fastio#"`
	UID            bool          `opt:"uid#"`
	Split          int           `opt:"split#"`

	SSL      bool `opt:"ssl#"` // also turned on by the SSL probe
	TLS      bool `opt:"tls#"`
	Insecure bool `opt:"insecure#"`
	SSLArgs  []KV `opt:"sslargs#"`

	AuthMech         string `opt:"authmech#"`
	AuthUser         string `opt:"authuser#"`
	ProxyAuth        bool   `opt:"proxyauth#"`
	AuthMD5          bool   `opt:"authmd5#"` // or --authmd5
	Domain           string `opt:"domain#"`
	OAuthAccessToken string `opt:"oauthaccesstoken#"`
	OAuthDirect      string `opt:"oauthdirect#"`

	OAuth               string `opt:"oauth#"`
	OAuthServiceAccount string `opt:"oauthserviceaccount#"`
	OAuthApp            string `opt:"oauthapp#"`
	OAuthAppSecretFile  string `opt:"oauthappsecretfile#"`
	OAuthBearer         bool   `opt:"oauthbearer#"`

	Prefix    string `opt:"prefix#"`
	Sep       string `opt:"sep#"`
	Subfolder string `opt:"subfolder#"`

	Search       string `opt:"search#"`       // or --search
	AbleToSearch bool   `opt:"abletosearch#"` // and --abletosearch
	EmailReport  bool   `opt:"emailreport#"`
	DebugIMAP    bool   `opt:"debugimap#"` // or --debugimap

	Gmail    bool   `opt:"gmail#"`
	Office   bool   `opt:"office#"`
	Exchange bool   `opt:"exchange#"`
	Domino   bool   `opt:"domino#"`
	Preset   string `opt:"preset#"`

	// Probed is set once the SSL probe ran for this side.
	Probed bool
}

// IsSet tells whether the option with that canonical name was given. It
// panics on a name that is not an option: a misspelt name is a bug, not
// an option left unset.
func (s *Settings) IsSet(name string) bool {
	if registry.Lookup(name) == nil {
		panic("config: IsSet of --" + name + ", which is not an option")
	}
	return s.Set[name]
}

// HostN returns the options of side n (1 or 2).
func (s *Settings) HostN(n int) *HostOptions {
	if n == 2 {
		return &s.Host2
	}
	return &s.Host1
}

// newSettings turns parsed values into Settings and applies imapsync's
// start-up rules (option interplay, sanitizing, validation).
func newSettings(vs *valueSet, args []string) (*Settings, error) {
	s := &Settings{Set: map[string]bool{}, Args: args}
	vs.fill(reflect.ValueOf(s).Elem(), "")
	for _, v := range vs.given() {
		s.Set[v.opt.Name] = true
	}
	if s.IDateFromHeader {
		s.SyncInternalDates = false
	}
	if s.TmpDir == "" {
		s.TmpDir = os.TempDir()
	}
	if s.Parallel < 1 {
		return nil, usageErrorf("--parallel must be at least 1, not %d", s.Parallel)
	}
	if s.IsSet("http") {
		if _, err := statuspage.ResolveAddr(s.HTTP); err != nil {
			return nil, usageErrorf("--http: %v", err)
		}
	}
	for n := 1; n <= 2; n++ {
		h, d := s.HostN(n), strconv.Itoa(n)
		if !s.IsSet("timeout"+d) && s.IsSet("timeout") {
			h.Timeout = s.Timeout
		}
		if !s.IsSet("search"+d) && s.IsSet("search") {
			h.Search = s.Search
		}
		if !s.IsSet("abletosearch"+d) && s.IsSet("abletosearch") {
			h.AbleToSearch = s.AbleToSearch
		}
		h.DebugIMAP = h.DebugIMAP || s.DebugIMAP
		h.AuthMD5 = h.AuthMD5 || s.AuthMD5
		if s.Sanitize {
			h.Host = sanitizeHost(h.Host)
			h.User = strings.TrimSpace(h.User)
			h.Password = strings.TrimSpace(h.Password)
		}
		if h.ProxyAuth && h.AuthUser == "" {
			return nil, usageErrorf("--proxyauth%s requires --authuser%s", d, d)
		}
		if _, _, err := h.tlsConfig(n); err != nil {
			return nil, err
		}
	}
	switch s.GmailLabels {
	case "", "folders", "keywords", "header":
	default:
		return nil, usageErrorf("--gmaillabels %s: must be folders, keywords or header", s.GmailLabels)
	}
	return s, nil
}

// sanitizeHost drops every space and slash: " imap.exam  ple.org/ " is
// imap.example.org (imapsync's sanitizing).
func sanitizeHost(h string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, h)
}

// fill copies the values into the tagged fields of dst.
func (vs *valueSet) fill(dst reflect.Value, side string) {
	t := dst.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sd, ok := sf.Tag.Lookup("side"); ok {
			vs.fill(dst.Field(i), sd)
			continue
		}
		tag, ok := sf.Tag.Lookup("opt")
		if !ok {
			continue
		}
		v := vs.get(strings.ReplaceAll(tag, "#", side))
		f := dst.Field(i)
		want := kindType(v.opt.Kind)
		if f.Type() != want {
			panic(fmt.Sprintf("Settings field %s is %s, option --%s needs %s", sf.Name, f.Type(), v.opt.Name, want))
		}
		switch v.opt.Kind {
		case Bool:
			f.SetBool(v.b)
		case String:
			f.SetString(v.s)
		case Int:
			f.SetInt(int64(v.i))
		case Int64, Bytes:
			f.SetInt(v.i64)
		case Float:
			f.SetFloat(v.f)
		case Seconds:
			f.SetInt(int64(v.d))
		case List:
			f.Set(reflect.ValueOf(append([]string(nil), v.list...)))
		case KeyValue:
			f.Set(reflect.ValueOf(append([]KV(nil), v.kv...)))
		}
	}
}

func kindType(k Kind) reflect.Type {
	switch k {
	case Bool:
		return reflect.TypeFor[bool]()
	case String:
		return reflect.TypeFor[string]()
	case Int:
		return reflect.TypeFor[int]()
	case Int64, Bytes:
		return reflect.TypeFor[int64]()
	case Float:
		return reflect.TypeFor[float64]()
	case Seconds:
		return reflect.TypeFor[time.Duration]()
	case List:
		return reflect.TypeFor[[]string]()
	}
	return reflect.TypeFor[[]KV]()
}

// Side builds the connection configuration of side n (1 or 2).
func (s *Settings) Side(n int) (*conn.Config, error) {
	if n != 1 && n != 2 {
		return nil, fmt.Errorf("no side %d", n)
	}
	h := s.HostN(n)
	d := strconv.Itoa(n)
	if h.ProxyAuth && h.AuthUser == "" {
		return nil, usageErrorf("--proxyauth%s requires --authuser%s", d, d)
	}
	tlsCfg, insecure, err := h.tlsConfig(n)
	if err != nil {
		return nil, err
	}
	cfg := &conn.Config{
		Side:             n,
		Host:             h.Host,
		Port:             h.Port,
		Mode:             s.mode(n),
		TLS:              tlsCfg,
		Insecure:         insecure,
		User:             h.User,
		Password:         h.Password,
		AuthMech:         strings.ToUpper(strings.TrimSpace(h.AuthMech)),
		AuthUser:         h.AuthUser,
		Domain:           h.Domain,
		ProxyAuth:        h.ProxyAuth,
		OAuthAccessToken: h.OAuthAccessToken,
		OAuthDirect:      h.OAuthDirect,
		TryLogin:         s.TryLogin,
		Compress:         h.Compress,
		ID:               s.ID,
		Timeout:          h.Timeout,
		KeepAlive:        h.KeepAlive,
		Network:          s.network(),
		Secrets:          s.secrets(),
	}
	src, secret, err := h.oauthSource(n, os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg.OAuth, cfg.OAuthBearer = src, h.OAuthBearer
	if secret != "" {
		cfg.Secrets = append(cfg.Secrets, secret)
	}
	if cfg.AuthMech == "" && h.AuthMD5 {
		cfg.AuthMech = "CRAM-MD5"
	}
	if h.DebugIMAP && s.Trace != nil {
		cfg.Trace = s.Trace
	}
	return cfg, nil
}

// tlsConfig is the TLS configuration of side n: --insecureN and
// --sslargsN.
func (h *HostOptions) tlsConfig(n int) (*tls.Config, bool, error) {
	args := make([]conn.TLSArg, len(h.SSLArgs))
	for i, kv := range h.SSLArgs {
		args[i] = conn.TLSArg{Key: kv.Key, Value: kv.Value}
	}
	c, insecure, err := conn.TLSConfig(n, h.Insecure, args)
	if err != nil {
		return nil, false, exitcode.Wrap(exitcode.Usage, err)
	}
	return c, insecure, nil
}

// mode is --sslN, --tlsN, --notlsN or automatic STARTTLS.
func (s *Settings) mode(n int) conn.TLSMode {
	h := s.HostN(n)
	switch {
	case h.SSL:
		return conn.TLSImplicit
	case h.TLS:
		return conn.TLSStartTLS
	case s.IsSet("tls" + strconv.Itoa(n)):
		return conn.TLSNone
	}
	return conn.TLSAuto
}

func (s *Settings) network() string {
	switch {
	case s.Inet4 && !s.Inet6:
		return "tcp4"
	case s.Inet6 && !s.Inet4:
		return "tcp6"
	}
	return "tcp"
}

func (s *Settings) secrets() []string {
	var out []string
	for n := 1; n <= 2; n++ {
		h := s.HostN(n)
		for _, x := range []string{h.Password, h.OAuthAccessToken, h.OAuthDirect} {
			if x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

// ProbeSSL runs imapsync's SSL probe on each side that has a host and none
// of --portN, --[no]sslN, --[no]tlsN, unless --nosslcheck: when port 993
// answers, SSL is turned on. It prints imapsync's probe lines.
func (s *Settings) ProbeSSL(ctx context.Context, out io.Writer) {
	for n := 1; n <= 2; n++ {
		h, d := s.HostN(n), strconv.Itoa(n)
		if !s.probeDue(n) {
			continue
		}
		h.Probed = true
		fmt.Fprintf(out, "Host%s: probing ssl on port 993 ( use --nosslcheck to avoid this ssl probe ) \n", d)
		probe := s.Probe
		if probe == nil {
			probe = conn.ProbeSSL
		}
		if probe(ctx, s.network(), h.Host) {
			h.SSL = true
			fmt.Fprintf(out, "Host%s: sslcheck detected open ssl port 993 so turning ssl on (use --nossl%s --notls%s to turn off SSL and TLS wizardry)\n", d, d, d)
		} else {
			fmt.Fprintf(out, "Host%s: sslcheck did not detected open ssl port 993. Will use standard 143 port.\n", d)
		}
	}
}

// probeDue tells whether ProbeSSL would probe side n.
func (s *Settings) probeDue(n int) bool {
	h, d := s.HostN(n), strconv.Itoa(n)
	return !h.Probed && h.Host != "" && s.SSLCheck && !s.IsSet("port"+d) && !s.IsSet("ssl"+d) && !s.IsSet("tls"+d)
}

// MissingCredentials lists which of --host1, --user1, --host2, --user2
// are missing; imapsync then only connects to the hosts given.
func (s *Settings) MissingCredentials() []string {
	var out []string
	for n := 1; n <= 2; n++ {
		h, d := s.HostN(n), strconv.Itoa(n)
		if h.Host == "" {
			out = append(out, "--host"+d)
		}
		if h.User == "" {
			out = append(out, "--user"+d)
		}
	}
	return out
}

func usageErrorf(format string, a ...any) error {
	return exitcode.New(exitcode.Usage, format, a...)
}
