// Package demomail embeds the demo mailbox used by the `demo` command and by
// tests (see imapmem User.SeedDemo).
//
// The demo mailbox (directory mail/) is a small, invented account:
// 35 messages in 34 .eml files (CRLF line endings) spread over 15 folders,
// described by mail/manifest.json. It covers plain text, 8bit and
// quoted-printable bodies, RFC 2047 subjects (UTF-8, ISO-8859-1,
// ISO-2022-JP), multipart/alternative, multipart/mixed with small base64
// attachments, a forwarded message/rfc822, mailing-list headers, a message
// without Message-ID (inbox-06), a duplicate in INBOX (inbox-07 listed
// twice), an empty folder (Junk), special-use folders, non-ASCII folder
// names (Données/Été, 日本語), nested folders, unsubscribed folders,
// system flags and the keywords $Label1 and NonJunk, with internal dates
// between 2016 and 2021. All people and domains are invented
// (example.org, example.com, documentation IP ranges).
package demomail

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"time"
)

//go:embed mail
var demoFS embed.FS

// DemoMessage is one stored message of the demo mailbox.
type DemoMessage struct {
	Folder string    // mailbox name, '/' as hierarchy separator, UTF-8
	File   string    // file name inside mail/
	Raw    []byte    // the message, CRLF line endings
	Flags  []string  // IMAP flags and keywords, e.g. `\Seen`, `$Label1`
	Date   time.Time // internal date
}

// DemoFolder is one folder of the demo mailbox.
type DemoFolder struct {
	Name       string // '/' as hierarchy separator, UTF-8
	SpecialUse string // RFC 6154 attribute such as `\Sent`, or ""
	Subscribed bool
}

type demoManifest struct {
	Folders []struct {
		Name       string `json:"name"`
		SpecialUse string `json:"special_use"`
		Subscribed bool   `json:"subscribed"`
	} `json:"folders"`
	Messages []struct {
		File   string   `json:"file"`
		Folder string   `json:"folder"`
		Flags  []string `json:"flags"`
		Date   string   `json:"date"`
	} `json:"messages"`
}

func loadManifest() (*demoManifest, error) {
	b, err := demoFS.ReadFile("mail/manifest.json")
	if err != nil {
		return nil, err
	}
	var m demoManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("demomail: mail/manifest.json: %w", err)
	}
	return &m, nil
}

// DemoFolders returns every folder of the demo mailbox, parents before
// children, including folders without messages.
func DemoFolders() ([]DemoFolder, error) {
	m, err := loadManifest()
	if err != nil {
		return nil, err
	}
	out := make([]DemoFolder, 0, len(m.Folders))
	for _, f := range m.Folders {
		out = append(out, DemoFolder{Name: f.Name, SpecialUse: f.SpecialUse, Subscribed: f.Subscribed})
	}
	return out, nil
}

// DemoMailbox returns the messages of the demo mailbox in manifest order
// (which is the intended APPEND order per folder) and the subscribed
// folder names.
func DemoMailbox() ([]DemoMessage, []string, error) {
	m, err := loadManifest()
	if err != nil {
		return nil, nil, err
	}
	known := make(map[string]bool, len(m.Folders))
	var subscribed []string
	for _, f := range m.Folders {
		known[f.Name] = true
		if f.Subscribed {
			subscribed = append(subscribed, f.Name)
		}
	}
	msgs := make([]DemoMessage, 0, len(m.Messages))
	for _, e := range m.Messages {
		if !known[e.Folder] {
			return nil, nil, fmt.Errorf("demomail: demo message %s: folder %q not declared", e.File, e.Folder)
		}
		raw, err := demoFS.ReadFile(path.Join("mail", e.File))
		if err != nil {
			return nil, nil, fmt.Errorf("demomail: demo message: %w", err)
		}
		date, err := time.Parse(time.RFC3339, e.Date)
		if err != nil {
			return nil, nil, fmt.Errorf("demomail: demo message %s: %w", e.File, err)
		}
		msgs = append(msgs, DemoMessage{
			Folder: e.Folder,
			File:   e.File,
			Raw:    raw,
			Flags:  append([]string(nil), e.Flags...),
			Date:   date,
		})
	}
	return msgs, subscribed, nil
}

// DemoFS returns the demo directory (manifest.json and the .eml files) as
// a read-only file system.
func DemoFS() fs.FS {
	sub, err := fs.Sub(demoFS, "mail")
	if err != nil {
		panic(err) // unreachable: the directory is embedded
	}
	return sub
}
