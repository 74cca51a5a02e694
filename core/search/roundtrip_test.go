package search

import (
	"bytes"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
)

// captureSession is just enough of an imapserver.Session to log in, select
// and record the criteria that go-imap's server parsed from UID SEARCH.
type captureSession struct {
	imapserver.Session // nil: the other methods are never called
	mu                 *sync.Mutex
	last               **imap.SearchCriteria
}

func (s *captureSession) Close() error               { return nil }
func (s *captureSession) Login(string, string) error { return nil }
func (s *captureSession) Unselect() error            { return nil }
func (s *captureSession) Poll(*imapserver.UpdateWriter, bool) error {
	return nil
}
func (s *captureSession) Select(string, *imap.SelectOptions) (*imap.SelectData, error) {
	return &imap.SelectData{UIDValidity: 1}, nil
}
func (s *captureSession) Search(_ imapserver.NumKind, c *imap.SearchCriteria, _ *imap.SearchOptions) (*imap.SearchData, error) {
	s.mu.Lock()
	*s.last = c
	s.mu.Unlock()
	// All must be a set: with a nil one, go-imap's server aborts the
	// response half-written.
	return &imap.SearchData{All: imap.UIDSetNum(1)}, nil
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// recConn records what the client writes.
type recConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *recConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recConn) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.buf.String()
	c.buf.Reset()
	return s
}

var literalRE = regexp.MustCompile(`\{(\d+)\+?\}\r\n`)

// wireSearch turns the recorded "tag UID SEARCH ...\r\n" back into a search
// string: literals become quoted strings, since Parse takes no literals.
func wireSearch(t *testing.T, wire string) string {
	_, rest, ok := strings.Cut(wire, " UID SEARCH ")
	if !ok || !strings.HasSuffix(rest, "\r\n") {
		t.Fatalf("unexpected command %q", wire)
	}
	rest = strings.TrimSuffix(rest, "\r\n")
	var b strings.Builder
	for {
		loc := literalRE.FindStringSubmatchIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			return b.String()
		}
		n, _ := strconv.Atoi(rest[loc[2]:loc[3]])
		b.WriteString(rest[:loc[0]])
		lit := rest[loc[1] : loc[1]+n]
		b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(lit) + `"`)
		rest = rest[loc[1]+n:]
	}
}

// canon copies c with the five standard header keys in go-imap's spelling:
// HEADER from x goes on the wire as FROM x, which is the same search.
func canon(c imap.SearchCriteria) imap.SearchCriteria {
	if c.Header != nil {
		h := make([]imap.SearchCriteriaHeaderField, len(c.Header))
		for i, f := range c.Header {
			if k, ok := headerKeys[strings.ToUpper(f.Key)]; ok {
				f.Key = k
			}
			h[i] = f
		}
		c.Header = h
	}
	if c.Not != nil {
		not := make([]imap.SearchCriteria, len(c.Not))
		for i := range c.Not {
			not[i] = canon(c.Not[i])
		}
		c.Not = not
	}
	if c.Or != nil {
		or := make([][2]imap.SearchCriteria, len(c.Or))
		for i := range c.Or {
			or[i] = [2]imap.SearchCriteria{canon(c.Or[i][0]), canon(c.Or[i][1])}
		}
		c.Or = or
	}
	return c
}

func hasModSeq(c *imap.SearchCriteria) bool {
	if c.ModSeq != nil {
		return true
	}
	for i := range c.Not {
		if hasModSeq(&c.Not[i]) {
			return true
		}
	}
	for i := range c.Or {
		if hasModSeq(&c.Or[i][0]) || hasModSeq(&c.Or[i][1]) {
			return true
		}
	}
	return false
}

// TestWireRoundTrip sends every supported case with go-imap's client to
// go-imap's server. What the server parses must equal what Parse returned
// (so Parse mirrors go-imap's own reading of the keys), and the command on
// the wire must parse back to the same criteria.
func TestWireRoundTrip(t *testing.T) {
	var (
		mu   sync.Mutex
		last *imap.SearchCriteria
	)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &captureSession{mu: &mu, last: &last}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapLiteralPlus: {}},
		InsecureAuth: true,
		Logger:       quietLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn := &recConn{Conn: raw}
	c := imapclient.New(conn, nil)
	t.Cleanup(func() { c.Close() })
	if err := c.Login("u", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	long := strings.Repeat("é\\\"x", 1200) // over 4096 bytes: sent as a literal
	cases := append(okCases[:len(okCases):len(okCases)], struct {
		in   string
		want C
	}{in: `OR SUBJECT "` + long + `" SEEN`})
	for _, tc := range cases {
		want, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		mu.Lock()
		last = nil
		mu.Unlock()
		conn.take()
		_, searchErr := c.UIDSearch(want, nil).Wait()
		wire := wireSearch(t, conn.take())
		if len(wire) < 200 {
			t.Logf("%-45q -> %s", tc.in, wire)
		}

		back, err := Parse(wire)
		if err != nil {
			t.Errorf("%q: wire %q does not parse: %v", tc.in, wire, err)
		} else if !reflect.DeepEqual(canon(*back), canon(*want)) {
			t.Errorf("%q: wire %q parses to\n %+v\nwant %+v", tc.in, wire, *back, *want)
		}

		if hasModSeq(want) || len(wire) > 4096 {
			// go-imap's server has no MODSEQ search key and refuses
			// literals over 4096 bytes outside APPEND; the wire check
			// above is all there is.
			continue
		}
		if searchErr != nil {
			t.Errorf("%q: server refused %q: %v", tc.in, wire, searchErr)
			continue
		}
		mu.Lock()
		got := last
		mu.Unlock()
		if got == nil || !reflect.DeepEqual(*got, canon(*want)) {
			t.Errorf("%q: go-imap server parsed %q as\n %+v\nwant %+v", tc.in, wire, got, canon(*want))
		}
	}
}
