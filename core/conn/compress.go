package conn

// COMPRESS=DEFLATE (RFC 4978), which go-imap lacks: it is negotiated in
// the raw phase, after authentication, and the socket is swapped for a
// deflating one, as STARTTLS swaps it for a TLS one. Everything above
// (go-imap, the Appender, the trace) then sees plain IMAP.

import (
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"net"
	"sync"
)

// deflateConn compresses what is written and inflates what is read.
// Each Write is flushed (a sync flush), so a command never waits in the
// compressor. BestSpeed keeps compression from becoming the bottleneck on
// a fast link while still shrinking text mail several times. The
// compressor emits a few hundred bytes at a time: its output is gathered
// in buf and leaves in one write per Write.
type deflateConn struct {
	net.Conn
	r io.ReadCloser

	mu  sync.Mutex
	w   *flate.Writer
	buf *bufio.Writer
}

func newDeflateConn(c net.Conn) *deflateConn {
	buf := bufio.NewWriterSize(c, sockReadBuf)
	w, _ := flate.NewWriter(buf, flate.BestSpeed) // the level is valid
	return &deflateConn{Conn: c, r: flate.NewReader(c), w: w, buf: buf}
}

func (d *deflateConn) Read(p []byte) (int, error) { return d.r.Read(p) }

func (d *deflateConn) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.w.Write(p)
	if err == nil {
		err = d.w.Flush()
	}
	if err == nil {
		err = d.buf.Flush()
	}
	return n, err
}

// authenticatedCaps makes sure the capabilities of the authenticated
// session are known, then turns compression on when Config.Compress asks
// for it: the last step of the raw phase.
func (s *session) authenticatedCaps() error {
	if len(s.raw.caps) == 0 {
		if _, _, err := s.raw.command("CAPABILITY"); err != nil {
			return err
		}
	}
	return s.compress()
}

// compress sends COMPRESS DEFLATE when asked and offered. A server that
// does not offer it, or refuses it, leaves the session uncompressed with
// a note.
func (s *session) compress() error {
	name := s.cfg.Name()
	switch {
	case !s.cfg.Compress:
		return nil
	case !s.raw.hasCap("COMPRESS=DEFLATE"):
		s.notes = append(s.notes, name+": the server does not offer COMPRESS=DEFLATE: not compressing")
		return nil
	}
	if _, _, err := s.raw.command("COMPRESS DEFLATE"); err != nil {
		if isNo(err) {
			s.notes = append(s.notes, fmt.Sprintf("%s: COMPRESS DEFLATE refused (%v): not compressing", name, err))
			return nil
		}
		return err
	}
	if s.raw.r.Buffered() > 0 {
		return fmt.Errorf("server sent data after COMPRESS before compressing")
	}
	dc := newDeflateConn(s.sock)
	s.sock = dc
	s.raw.r.Reset(dc)
	s.raw.w = dc
	s.notes = append(s.notes, name+": compression is on (COMPRESS DEFLATE)")
	return nil
}
