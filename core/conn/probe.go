package conn

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"time"
)

// ProbeSSL reports whether an implicit-TLS IMAP server answers on
// host:993 within 5 seconds (imapsync's --sslcheck). The probe sends no
// credentials, so it does not verify the certificate; the real connection
// does.
func ProbeSSL(ctx context.Context, network, host string) bool {
	if network == "" {
		network = "tcp"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{InsecureSkipVerify: true, ServerName: host}}
	c, err := d.DialContext(ctx, network, joinHostPort(host, 993))
	if err != nil {
		return false
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* ")
}
