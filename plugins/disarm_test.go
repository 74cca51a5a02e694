package plugins

import "testing"

func TestDisarmReadReceipts(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"crlf",
			"From: a@b\r\nDisposition-Notification-To: a@b\r\nSubject: s\r\n\r\nbody\r\n",
			"From: a@b\r\nX-Disposition-Notification-To: a@b\r\nSubject: s\r\n\r\nbody\r\n"},
		{"lf only",
			"Disposition-Notification-To: a@b\nSubject: s\n\nbody\n",
			"X-Disposition-Notification-To: a@b\nSubject: s\n\nbody\n"},
		{"any case, every field",
			"disposition-notification-to: a@b\r\nDISPOSITION-NOTIFICATION-TO: c@d\r\n\r\n",
			"X-disposition-notification-to: a@b\r\nX-DISPOSITION-NOTIFICATION-TO: c@d\r\n\r\n"},
		{"folded value",
			"Disposition-Notification-To:\r\n a@b\r\n\r\nx",
			"X-Disposition-Notification-To:\r\n a@b\r\n\r\nx"},
		{"nul bytes in the body",
			"Disposition-Notification-To: a@b\n\n\x00\x00Disposition-Notification-To: c\n",
			"X-Disposition-Notification-To: a@b\n\n\x00\x00Disposition-Notification-To: c\n"},
		{"header only, no body", "Disposition-Notification-To: a@b", "X-Disposition-Notification-To: a@b"},
		{"only in the body",
			"Subject: s\r\n\r\nDisposition-Notification-To: a@b\r\n", ""},
		{"in a forwarded message after the blank line",
			"Subject: s\n\nDisposition-Notification-To: a@b\n", ""},
		{"already disarmed", "X-Disposition-Notification-To: a@b\r\n\r\n", ""},
		{"not at a line start", "Subject: Disposition-Notification-To: a\r\n\r\n", ""},
		{"other field", "Disposition-Notification-Options: x\r\n\r\n", ""},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := rewrite(t, rewriter(t, "disarmreadreceipts"), tt.in)
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want || changed != (tt.want != "") {
				t.Errorf("got %q (changed %v), want %q (changed %v)", got, changed, want, tt.want != "")
			}
		})
	}
	if _, err := Build("disarmreadreceipts", []string{"1"}); err == nil {
		t.Error("disarmreadreceipts accepted a value")
	}
}
