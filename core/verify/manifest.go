package verify

import (
	"bufio"
	"encoding/json"
	"io"
)

// Status values of a Record.
const (
	// StatusOK: a host1 message and its host2 copy, nothing differs.
	StatusOK = "ok"
	// StatusDiffers: a matched pair whose flags, date or bytes differ
	// (listed in Record.Differs).
	StatusDiffers = "differs"
	// StatusMissing: a host1 message not on host2.
	StatusMissing = "missing"
	// StatusExtra: a host2 message matching no host1 message.
	StatusExtra = "extra"
	// StatusDuplicated: a surplus host2 copy of the host1 message UID1.
	StatusDuplicated = "duplicated"
	// StatusUnidentified: a message without any identity header, not
	// compared.
	StatusUnidentified = "unidentified"
	// StatusSkippedDuplicate: a host1 message with the key of an earlier
	// one, which a sync skips without --syncduplicates, not on host2.
	StatusSkippedDuplicate = "skipped-duplicate"
)

// Record is one line of the manifest: one message, or one pair of a
// host1 message and its host2 copy. UID1 or UID2 is absent (zero) for a
// message on one side only; Folder1 and Folder2 are always the pair's
// folders.
type Record struct {
	Folder1 string `json:"folder1"`
	UID1    uint32 `json:"uid1,omitempty"`
	Folder2 string `json:"folder2"`
	UID2    uint32 `json:"uid2,omitempty"`
	// Key is the identity key; empty for an unidentified message.
	Key       string `json:"key,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	// Size is the RFC822.SIZE of the host1 message (of the host2 one when
	// there is no host1 message); Size2 is set when the host2 copy's
	// differs (the line --addheader adds).
	Size  int64 `json:"size"`
	Size2 int64 `json:"size2,omitempty"`
	// Hash1 and Hash2 are the hex SHA-256 of each side's bytes, with
	// Options.Bodies only. A host1 message keyed by --addheader is hashed
	// with the added line, as its host2 copy holds it.
	Hash1   string   `json:"hash1,omitempty"`
	Hash2   string   `json:"hash2,omitempty"`
	Status  string   `json:"status"`
	Differs []string `json:"differs,omitempty"` // "flags", "date", "body"
}

// manifest writes records as JSON lines.
type manifest struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newManifest(w io.Writer) *manifest {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &manifest{w: bw, enc: enc}
}

// write writes the records of one folder and flushes them.
func (m *manifest) write(fr folderResult) error {
	for i := range fr.records {
		if err := m.enc.Encode(&fr.records[i]); err != nil {
			return err
		}
	}
	return m.w.Flush()
}
