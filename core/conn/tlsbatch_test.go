package conn

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/testenv/imapmem"
)

// countingConn counts the writes on a socket and the TLS records in what
// is written (the 5-byte record headers of the byte stream).
type countingConn struct {
	net.Conn
	mu      sync.Mutex
	writes  int
	records int
	need    int    // bytes left of the current record
	hdr     []byte // partial record header
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	for b := p; len(b) > 0; {
		if c.need > 0 {
			k := min(c.need, len(b))
			c.need -= k
			b = b[k:]
			continue
		}
		k := min(5-len(c.hdr), len(b))
		c.hdr = append(c.hdr, b[:k]...)
		b = b[k:]
		if len(c.hdr) == 5 {
			c.records++
			c.need = int(c.hdr[3])<<8 | int(c.hdr[4])
			c.hdr = c.hdr[:0]
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) counts() (writes, records int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.records
}

// TestTLSBatched checks, under a real TLS handshake with imapmem, that the
// TLS records of one write leave the socket in one write: pipelined
// APPENDs of 40 KB messages take one socket write each (Go's TLS would
// write each of their records on its own, and the first 128 KB of a
// connection go out in records of about 1 KB), and a go-imap command one.
// The messages arrive byte for byte.
func TestTLSBatched(t *testing.T) {
	serverTLS, clientTLS, err := imapmem.NewTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := imapmem.StartT(t, imapmem.Options{TLSConfig: serverTLS})
	user := srv.AddUser("bob", "pw-bob")
	var socks []*countingConn
	var mu sync.Mutex
	cfg := &Config{Side: 2, Host: srv.Host(), Port: srv.TLSPort(), Mode: TLSImplicit, TLS: clientTLS,
		User: "bob", Password: "pw-bob", Timeout: 10 * time.Second,
		wrap: func(c net.Conn) net.Conn {
			cc := &countingConn{Conn: c}
			mu.Lock()
			socks = append(socks, cc)
			mu.Unlock()
			return cc
		}}

	app, err := DialAppender(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sock := socks[0]
	w0, r0 := sock.counts()
	const n = 12
	var raws [][]byte
	var wg sync.WaitGroup
	for i := range n {
		raw := []byte(fmt.Sprintf("Message-ID: <batch-%d@x>\r\nSubject: %d\r\n\r\n%s", i, i, strings.Repeat(fmt.Sprintf("line %d of a forty kilobyte body\r\n", i), 40000/34)))
		raws = append(raws, raw)
		wg.Add(1)
		err := app.Append("INBOX", nil, time.Time{}, int64(len(raw)), bytes.NewReader(raw), func(r AppendResult) {
			defer wg.Done()
			if r.Err != nil {
				t.Errorf("APPEND %d: %v", i, r.Err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	w1, r1 := sock.counts()
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	writes, records := w1-w0, r1-r0
	t.Logf("%d APPENDs of %d bytes: %d socket writes, %d TLS records", n, len(raws[0]), writes, records)
	if writes != n {
		t.Errorf("%d socket writes for %d APPENDs, want one each", writes, n)
	}
	if records < 3*n {
		t.Errorf("only %d TLS records for %d APPENDs of 40 KB: the records were not written as Go's TLS cuts them", records, n)
	}
	got, err := user.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d messages on the server, want %d", len(got), n)
	}
	for i, m := range got {
		if !bytes.Equal(m.Raw, raws[i]) {
			t.Fatalf("message %d differs on the server", i)
		}
	}

	// A go-imap command is one write too.
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sock = socks[1]
	w0, _ = sock.counts()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if w, _ := sock.counts(); w-w0 != 1 {
		t.Errorf("SELECT took %d socket writes, want 1", w-w0)
	}
	if !c.Secure {
		t.Error("the connection is not reported secure")
	}
}
