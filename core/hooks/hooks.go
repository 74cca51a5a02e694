// Package hooks defines the points where imapshift's behaviour can be
// changed: folder mapping, message skipping, message rewriting and flag
// filtering. Built-in plugins (package plugins) and Lua scripts (package
// scripting) implement the same interfaces and run in one ordered Chain.
//
// Hooks are called from several workers at once: an implementation must be
// safe for concurrent use, or guard itself.
package hooks

import (
	"fmt"
	"time"

	"github.com/imapshift/imapshift/core/message"
)

// Folder is what a folder hook sees of one host1 folder.
type Folder struct {
	// Name is the host1 name, in UTF-8, with host1's separator.
	Name string
	// Target is the host2 name decided by the hooks that ran before.
	Target           string
	Sep1, Sep2       string
	Prefix1, Prefix2 string
	// SpecialUse lists the folder's RFC 6154 attributes, such as "\Sent".
	SpecialUse []string
}

// FolderResult is a folder hook's decision.
type FolderResult struct {
	// Target is the new host2 name; "" keeps the current one.
	Target string
	// Skip, when not empty, excludes the folder, and says why.
	Skip string
	// Final stops the chain: later folder hooks are not consulted. It is
	// how --f1f2 and --automap override the rest of the translation.
	Final bool
}

// FolderMapper maps a host1 folder to its host2 name, or skips it.
type FolderMapper interface {
	MapFolder(f Folder) (FolderResult, error)
}

// MessageSkipper decides whether a message is copied. It returns a reason
// to skip it, or "" to keep it.
type MessageSkipper interface {
	Skip(m *Message) (reason string, err error)
}

// MessageRewriter changes a message before it is appended to host2. It
// calls Message.SetRaw only when it changes something, so untouched
// messages keep their exact bytes.
type MessageRewriter interface {
	Rewrite(m *Message) error
}

// FlagFilter turns the flags of a host1 message into those to set on
// host2. It is used both when copying and when resynchronising flags.
type FlagFilter interface {
	Flags(m *Message, flags []string) ([]string, error)
}

// LabelFilter turns the Gmail labels a message is to get on host2 into
// the labels to set (Lua's labels(msg, labels)). Labels are decoded:
// names in UTF-8, system labels spelt `\Inbox`, `\Sent`...
type LabelFilter interface {
	Labels(m *Message, labels []string) ([]string, error)
}

// HeaderOnly is implemented by skip and flag hooks that never need the
// message body; when every hook of a run is header-only, bodies are not
// fetched before the copy decision.
type HeaderOnly interface {
	HeaderOnly() bool
}

// WantsStructure is implemented by hooks that read Message.Structure:
// when one says yes, the metadata FETCH asks for BODYSTRUCTURE.
type WantsStructure interface {
	WantsStructure() bool
}

// StructurePart is one part of a message's MIME structure, known without
// its body.
type StructurePart struct {
	ContentType string            // lower-case media type, "text/plain"
	Params      map[string]string // Content-Type parameters, names in lower case
	Disposition string            // lower case, "" without one
	Filename    string            // decoded to UTF-8, "" without one
	Size        int64             // encoded bytes of a leaf, 0 for a multipart
	Depth       int               // 0 for the root
}

// AfterRewrite is implemented by skip hooks that judge the message as it
// will be appended (imapsync's --maxlinelength): the engine runs them once
// the rewrite hooks are done.
type AfterRewrite interface {
	AfterRewrite() bool
}

// Named is a hook with the name reported in plans and errors (a plugin
// name such as "regextrans2", or a script's file name).
type Named[T any] struct {
	Name string
	Hook T
}

// Chain runs hooks in order.
type Chain struct {
	Folders  []Named[FolderMapper]
	Skips    []Named[MessageSkipper]
	Rewrites []Named[MessageRewriter]
	Flags    []Named[FlagFilter]
	Labels   []Named[LabelFilter]
}

// MapFolder runs the folder hooks on f. It returns the host2 name, the
// skip reason ("" when the folder is kept) and the name of the hook that
// decided: the one that skipped it, ended the chain, or last changed the
// target ("" when no hook changed anything).
func (c *Chain) MapFolder(f Folder) (target, skip, decidedBy string, err error) {
	for _, h := range c.Folders {
		r, err := h.Hook.MapFolder(f)
		if err != nil {
			return "", "", h.Name, fmt.Errorf("%s: folder %q: %w", h.Name, f.Name, err)
		}
		if r.Skip != "" {
			return f.Target, r.Skip, h.Name, nil
		}
		if r.Target != "" && r.Target != f.Target {
			f.Target = r.Target
			decidedBy = h.Name
		}
		if r.Final {
			return f.Target, "", h.Name, nil
		}
	}
	return f.Target, "", decidedBy, nil
}

// Skip runs the skip hooks; the first that gives a reason wins.
func (c *Chain) Skip(m *Message) (reason, by string, err error) {
	for _, h := range c.Skips {
		r, err := h.Hook.Skip(m)
		if err != nil {
			return "", h.Name, fmt.Errorf("%s: %w", h.Name, err)
		}
		if r != "" {
			return r, h.Name, nil
		}
	}
	return "", "", nil
}

// Rewrite runs the rewrite hooks in order and reports which changed the
// message.
func (c *Chain) Rewrite(m *Message) (changedBy []string, err error) {
	for _, h := range c.Rewrites {
		before := m.generation
		if err := h.Hook.Rewrite(m); err != nil {
			return changedBy, fmt.Errorf("%s: %w", h.Name, err)
		}
		if m.generation != before {
			changedBy = append(changedBy, h.Name)
		}
	}
	return changedBy, nil
}

// Concat returns one chain running the hooks of parts in order: each
// kind's hooks of the first part, then of the second, and so on.
func Concat(parts ...*Chain) *Chain {
	c := &Chain{}
	for _, p := range parts {
		c.Folders = append(c.Folders, p.Folders...)
		c.Skips = append(c.Skips, p.Skips...)
		c.Rewrites = append(c.Rewrites, p.Rewrites...)
		c.Flags = append(c.Flags, p.Flags...)
		c.Labels = append(c.Labels, p.Labels...)
	}
	return c
}

// FilterFlags runs the flag hooks in order.
func (c *Chain) FilterFlags(m *Message, flags []string) ([]string, error) {
	for _, h := range c.Flags {
		var err error
		if flags, err = h.Hook.Flags(m, flags); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	return flags, nil
}

// FilterLabels runs the label hooks in order.
func (c *Chain) FilterLabels(m *Message, labels []string) ([]string, error) {
	for _, h := range c.Labels {
		var err error
		if labels, err = h.Hook.Labels(m, labels); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	return labels, nil
}

// Empty reports whether the chain has no message hooks.
func (c *Chain) Empty() bool {
	return len(c.Skips) == 0 && len(c.Rewrites) == 0 && len(c.Flags) == 0 && len(c.Labels) == 0
}

// Message is what message hooks see: metadata, the header block, and the
// whole message, fetched only when a hook asks for it.
type Message struct {
	Folder       string // host1 folder, UTF-8
	UID          uint32
	Size         int64 // RFC822.SIZE on host1
	Flags        []string
	InternalDate time.Time
	// Unidentified is set when the message has none of the identifying
	// headers (--useheader); --addheader gives such messages a Message-Id.
	Unidentified bool
	// Structure is the MIME structure the server gave (BODYSTRUCTURE),
	// depth first with the root first; nil when it was not fetched (only
	// hooks that implement WantsStructure get it).
	Structure []StructurePart
	// Labels are host1's Gmail labels (decoded, sorted), nil when host1
	// has none (no X-GM-EXT-1).
	Labels []string

	header     []byte
	raw        []byte
	load       func() ([]byte, error)
	generation int
}

// NewMessage returns a message with its header block (the whole header,
// up to and including the blank line, when known). load fetches the whole
// message on demand; it may be nil when raw is already known.
func NewMessage(header, raw []byte, load func() ([]byte, error)) *Message {
	return &Message{header: header, raw: raw, load: load}
}

// Header returns the header block. When only the whole message is known,
// it is cut from it.
func (m *Message) Header() []byte {
	if m.header == nil && m.raw != nil {
		m.header, _ = message.Split(m.raw)
	}
	return m.header
}

// Raw returns the whole message, fetching it on first use.
func (m *Message) Raw() ([]byte, error) {
	if m.raw == nil && m.load != nil {
		raw, err := m.load()
		if err != nil {
			return nil, err
		}
		m.raw = raw
	}
	return m.raw, nil
}

// Loaded reports whether the whole message is known (fetched or set).
func (m *Message) Loaded() bool { return m.raw != nil }

// SetRaw replaces the whole message; the new bytes are what is appended.
func (m *Message) SetRaw(raw []byte) {
	m.raw = raw
	m.header = nil
	m.generation++
}

// Changed reports whether a hook replaced the message.
func (m *Message) Changed() bool { return m.generation > 0 }
