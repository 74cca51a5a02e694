package conn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
)

// Socket buffering. Every connection reads through a 64 KiB buffer on the
// socket, so a stream of FETCH literals costs one read per 64 KiB rather
// than one per TLS record or per go-imap buffer (4 KiB). Under TLS the
// records of one write (up to four for the Appender's 64 KiB) are gathered
// below the TLS layer and leave in one write: without it, Go's TLS writes
// each record of at most 16 KiB with its own system call.
const (
	sockReadBuf = 64 << 10
	// sockWriteBuf holds the records of a 64 KiB write with their
	// overhead (about 22 bytes per record).
	sockWriteBuf = 72 << 10
)

// bufConn is the socket with a read buffer and, once batch is set, a
// write buffer that its TLS layer flushes after each write (tlsConn).
type bufConn struct {
	net.Conn
	r *bufio.Reader

	mu    sync.Mutex // guards w: TLS may write from Read (a KeyUpdate answer)
	w     *bufio.Writer
	batch bool
}

func newBufConn(c net.Conn) *bufConn {
	return &bufConn{Conn: c, r: bufio.NewReaderSize(c, sockReadBuf)}
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// Write writes through, or into the write buffer once batching is on.
func (b *bufConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batch {
		return b.Conn.Write(p)
	}
	return b.w.Write(p)
}

// startBatching makes writes wait for flush. It is called once the TLS
// handshake is over: the handshake flushes its own messages and expects
// them sent.
func (b *bufConn) startBatching() {
	b.mu.Lock()
	b.w = bufio.NewWriterSize(b.Conn, sockWriteBuf)
	b.batch = true
	b.mu.Unlock()
}

func (b *bufConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w == nil {
		return nil
	}
	return b.w.Flush()
}

// Close sends what is buffered (a TLS close_notify) when no write is in
// progress, and closes the socket. It never waits for a blocked write:
// closing is what unblocks it.
func (b *bufConn) Close() error {
	if b.mu.TryLock() {
		if b.w != nil {
			b.w.Flush()
		}
		b.mu.Unlock()
	}
	return b.Conn.Close()
}

// CloseWrite shuts the socket's write side after what is buffered.
func (b *bufConn) CloseWrite() error {
	b.flush()
	if cw, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// tlsConn is a TLS connection over a batching bufConn: each write is
// encrypted into the buffer, then flushed in one piece.
type tlsConn struct {
	*tls.Conn
	under *bufConn
}

// secure runs the TLS handshake over b and returns the connection to use
// from then on.
func secure(ctx context.Context, b *bufConn, cfg *tls.Config) (*tlsConn, error) {
	tc := tls.Client(b, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	b.startBatching()
	return &tlsConn{Conn: tc, under: b}, nil
}

func (t *tlsConn) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	if ferr := t.under.flush(); err == nil {
		err = ferr
	}
	return n, err
}

// CloseWrite sends close_notify, then shuts the socket's write side.
func (t *tlsConn) CloseWrite() error {
	err := t.Conn.CloseWrite()
	if cerr := t.under.CloseWrite(); err == nil {
		err = cerr
	}
	return err
}
