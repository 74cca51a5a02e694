package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/udiff"
	"github.com/imapshift/imapshift/core/dates"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/message"
	"github.com/imapshift/imapshift/scripting"
	"github.com/imapshift/imapshift/scripting/mime"
)

// scriptTestOptions are the options of `imapshift script test`.
type scriptTestOptions struct {
	Message    string
	Folder     string
	Target     string
	Flags      []string
	Labels     []string
	UID        uint32
	Date       string
	Sep1, Sep2 string
	Prefix1    string
	Prefix2    string
	SpecialUse []string
	CRLF       bool
	Timeout    time.Duration
	MaxMemory  int
}

func (a *app) newScriptCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "script",
		Short: "Try Lua hook scripts (--script) without a server",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.ran = true
			return c.Help()
		},
	}
	var o scriptTestOptions
	test := &cobra.Command{
		Use:   "test FILE.lua... [--message M.eml] [--folder NAME] [--flags FLAGS]",
		Short: "Run scripts on a folder name and a message file and print each hook's decision",
		Long: `Load the scripts as --script does (in the order given) and run their hooks
as a sync would: map_folder on --folder, then skip, rewrite and flags on the
message of --message (a file, or - for standard input), and labels on the
labels of --labels (host1's Gmail labels, msg.labels, which are also the
labels meant for host2). Each hook's decision is printed: the folder name it
gives, skip or keep with the reason, the flags (and labels) before and
after, and a unified diff of the rewritten message.

Examples:
  imapshift script test scripts/add_migrated_from.lua --message m.eml
  imapshift script test a.lua b.lua --message m.eml --folder "Sent Items" --flags '\Seen $Label1'

EXIT STATUS
  0 the hooks ran; 64 a script cannot be loaded (syntax error, hook with the
  wrong arity, unreadable) or bad options; 66 unreadable message file;
  111 a hook failed on the message or the folder.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a.ran = true
			return runScriptTest(c.OutOrStdout(), a.stdin, args, o)
		},
	}
	f := test.Flags()
	f.StringVar(&o.Message, "message", "", "message file (- for standard input)")
	f.StringVar(&o.Folder, "folder", "INBOX", "host1 folder of the message (msg.folder, folder.name)")
	f.StringVar(&o.Target, "target", "", "host2 name the built-in rules gave the folder (folder.target; default --folder)")
	f.StringArrayVar(&o.Flags, "flags", nil, "flags of the message, separated by spaces or commas (repeatable)")
	f.StringArrayVar(&o.Labels, "labels", nil, `host1's Gmail labels of the message, separated by commas (repeatable), e.g. '\Inbox,Work/2024'`)
	f.Uint32Var(&o.UID, "uid", 1, "UID of the message (msg.uid)")
	f.StringVar(&o.Date, "date", "", "internal date of the message (default: its Date: header)")
	f.StringVar(&o.Sep1, "sep1", "/", "host1 separator (folder.sep1)")
	f.StringVar(&o.Sep2, "sep2", "/", "host2 separator (folder.sep2)")
	f.StringVar(&o.Prefix1, "prefix1", "", "host1 prefix (folder.prefix1)")
	f.StringVar(&o.Prefix2, "prefix2", "", "host2 prefix (folder.prefix2)")
	f.StringArrayVar(&o.SpecialUse, "special-use", nil, `special-use attribute of the folder, such as \Sent (repeatable)`)
	f.BoolVar(&o.CRLF, "crlf", false, "turn the bare LF line ends of the message file into CRLF, as on an IMAP server")
	f.DurationVar(&o.Timeout, "scripttimeout", scripting.DefaultTimeout, "time limit of one hook call")
	f.IntVar(&o.MaxMemory, "scriptmaxmemory", scripting.DefaultMaxMemory>>20, "memory budget of a hook call in MB (0: none)")
	cmd.AddCommand(test)
	return cmd
}

// hookFailed is the exit status of a hook error in script test.
const hookFailed = exitcode.WithErrors

// runScriptTest loads the scripts and runs their hooks on the folder and
// the message, printing each decision.
func runScriptTest(w io.Writer, stdin io.Reader, files []string, o scriptTestOptions) error {
	maxMem := int64(o.MaxMemory) << 20
	if o.MaxMemory <= 0 {
		maxMem = -1
	}
	opts := scripting.Options{Timeout: o.Timeout, MaxMemory: maxMem, Log: config.ScriptLogger(w)}
	structure := false            // a script reads msg.structure
	var before, after hooks.Chain // as in a run: run_before_plugins scripts first
	var names []string
	for _, f := range files {
		sc, err := scripting.Load(f, opts)
		if err != nil {
			return exitcode.Wrap(exitcode.Usage, err)
		}
		defer sc.Close()
		structure = structure || sc.ReadsStructure()
		if sc.BeforePlugins() {
			sc.AppendTo(&before)
		} else {
			sc.AppendTo(&after)
		}
		hs := strings.Join(sc.Hooks(), ", ")
		if hs == "" {
			hs = "no hooks"
		}
		if sc.BeforePlugins() {
			hs += "; before the plugins"
		}
		names = append(names, fmt.Sprintf("%s (%s)", f, hs))
	}
	chain := hooks.Concat(&before, &after)
	fmt.Fprintf(w, "scripts: %s\n", strings.Join(names, ", "))
	failed := false

	if len(chain.Folders) > 0 {
		target := o.Target
		if target == "" {
			target = o.Folder
		}
		fmt.Fprintf(w, "folder %s:\n", o.Folder)
		f := hooks.Folder{Name: o.Folder, Target: target, Sep1: o.Sep1, Sep2: o.Sep2, Prefix1: o.Prefix1, Prefix2: o.Prefix2, SpecialUse: o.SpecialUse}
		skipped := false
		for _, h := range chain.Folders {
			r, err := h.Hook.MapFolder(f)
			switch {
			case err != nil:
				fmt.Fprintf(w, "  map_folder %s: error: %s\n", h.Name, indent(err.Error()))
				failed, skipped = true, true
			case r.Skip != "":
				fmt.Fprintf(w, "  map_folder %s: skip (%s)\n", h.Name, r.Skip)
				skipped = true
			case r.Target != "" && r.Target != f.Target:
				fmt.Fprintf(w, "  map_folder %s: %s -> %s\n", h.Name, f.Target, r.Target)
				f.Target = r.Target
			default:
				fmt.Fprintf(w, "  map_folder %s: keep %s\n", h.Name, f.Target)
			}
			if skipped {
				break
			}
		}
		if skipped {
			fmt.Fprintf(w, "  => folder not synced\n")
		} else {
			fmt.Fprintf(w, "  => host2 folder %s\n", f.Target)
		}
	}

	if o.Message == "" {
		if !chain.Empty() {
			fmt.Fprintf(w, "message: no --message, the skip, rewrite and flags hooks were not run\n")
		}
		return scriptTestResult(failed)
	}
	raw, err := readMessage(stdin, o.Message)
	if err != nil {
		return err
	}
	if o.CRLF {
		raw = toCRLF(raw)
	}
	m, loads, err := testMessage(raw, o, structure)
	if err != nil {
		return err
	}
	// fetched says whether a hook needed the body, for scripts that read
	// msg.structure (which a sync takes from BODYSTRUCTURE).
	fetched := func() {
		if structure {
			fmt.Fprintf(w, "  body fetched: %s\n", map[bool]string{true: "yes", false: "no (msg.structure was enough)"}[*loads > 0])
		}
	}
	fmt.Fprintf(w, "message %s: %d bytes, uid %d, flags %s\n", o.Message, len(raw), m.UID, imapFlags(m.Flags))

	for _, h := range chain.Skips {
		r, err := h.Hook.Skip(m)
		switch {
		case err != nil:
			fmt.Fprintf(w, "  skip %s: error: %s\n", h.Name, indent(err.Error()))
			fmt.Fprintf(w, "  => not copied (script error)\n")
			return scriptTestResult(true)
		case r != "":
			fmt.Fprintf(w, "  skip %s: skip (%s)\n", h.Name, r)
			fetched()
			fmt.Fprintf(w, "  => not copied\n")
			return scriptTestResult(failed)
		default:
			fmt.Fprintf(w, "  skip %s: keep\n", h.Name)
		}
	}
	for _, h := range chain.Rewrites {
		before, _ := m.Raw()
		if err := h.Hook.Rewrite(m); err != nil {
			fmt.Fprintf(w, "  rewrite %s: error: %s\n", h.Name, indent(err.Error()))
			fmt.Fprintf(w, "  => not copied (script error)\n")
			return scriptTestResult(true)
		}
		after, _ := m.Raw()
		if string(after) == string(before) {
			fmt.Fprintf(w, "  rewrite %s: unchanged\n", h.Name)
		} else {
			fmt.Fprintf(w, "  rewrite %s: changed (%d -> %d bytes)\n", h.Name, len(before), len(after))
		}
	}
	flags := m.Flags
	for _, h := range chain.Flags {
		out, err := h.Hook.Flags(m, flags)
		if err != nil {
			fmt.Fprintf(w, "  flags %s: error: %s\n", h.Name, indent(err.Error()))
			fmt.Fprintf(w, "  => not copied (script error)\n")
			return scriptTestResult(true)
		}
		fmt.Fprintf(w, "  flags %s: %s -> %s\n", h.Name, imapFlags(flags), imapFlags(out))
		flags = out
	}
	fetched()
	if len(chain.Labels) > 0 {
		labels := m.Labels
		if labels == nil {
			labels = []string{}
		}
		for _, h := range chain.Labels {
			out, err := h.Hook.Labels(m, labels)
			if err != nil {
				fmt.Fprintf(w, "  labels %s: error: %s\n", h.Name, indent(err.Error()))
				fmt.Fprintf(w, "  => not copied (script error)\n")
				return scriptTestResult(true)
			}
			fmt.Fprintf(w, "  labels %s: %s -> %s\n", h.Name, labelList(labels), labelList(out))
			labels = out
		}
		fmt.Fprintf(w, "  => labels on host2: %s\n", labelList(labels))
	}
	fmt.Fprintf(w, "  => copied with flags %s", imapFlags(flags))
	if m.Changed() {
		fmt.Fprintf(w, ", rewritten:\n")
		after, _ := m.Raw()
		if t1, t2 := scripting.Tree(raw), scripting.Tree(after); t1 != t2 {
			fmt.Fprintf(w, "  MIME tree before:\n%s  MIME tree after:\n%s", indentTree(t1), indentTree(t2))
		}
		udiff.Write(w, o.Message, o.Message+" (rewritten)", raw, after)
	} else {
		fmt.Fprintf(w, ", bytes unchanged\n")
	}
	return scriptTestResult(failed)
}

func scriptTestResult(failed bool) error {
	if failed {
		return exitcode.New(hookFailed, "a hook failed")
	}
	return nil
}

func readMessage(stdin io.Reader, name string) ([]byte, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, exitcode.New(exitcode.NoInput, "cannot read --message %s: %v", name, err)
	}
	return raw, nil
}

// testMessage builds the message the hooks see, as the engine would: its
// header known, the rest loaded on demand.
func testMessage(raw []byte, o scriptTestOptions, structure bool) (*hooks.Message, *int, error) {
	h, _ := message.Split(raw)
	loads := new(int)
	m := hooks.NewMessage(h, nil, func() ([]byte, error) { *loads++; return raw, nil })
	if structure { // as a sync gets it from BODYSTRUCTURE
		m.Structure = scripting.Structure(mime.Parse(raw))
	}
	m.Folder, m.UID, m.Size = o.Folder, o.UID, int64(len(raw))
	for _, f := range o.Flags {
		m.Flags = append(m.Flags, strings.FieldsFunc(f, func(r rune) bool { return r == ' ' || r == ',' })...)
	}
	for _, l := range o.Labels {
		for _, v := range strings.Split(l, ",") {
			if v = strings.TrimSpace(v); v != "" {
				m.Labels = append(m.Labels, v)
			}
		}
	}
	date := o.Date
	if date == "" {
		date, _ = message.Parse(h).Get("Date")
	}
	if date != "" {
		t, ok := dates.GoodDate(date)
		if !ok {
			if o.Date != "" {
				return nil, nil, usageErrorf("--date %q is not a date", o.Date)
			}
		} else {
			m.InternalDate = t
		}
	}
	return m, loads, nil
}

func toCRLF(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

func labelList(labels []string) string {
	if len(labels) == 0 {
		return "(none)"
	}
	return strings.Join(labels, ", ")
}

func imapFlags(flags []string) string {
	if len(flags) == 0 {
		return "(none)"
	}
	return strings.Join(flags, " ")
}

// indent puts the continuation lines of a multi-line error (the Lua
// traceback) under its first line.
func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// indentTree indents a MIME tree (scripting.Tree) under its title.
func indentTree(t string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(t, "\n"), "\n", "\n    ") + "\n"
}
