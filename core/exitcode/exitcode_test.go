package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

type coder struct{}

func (coder) Error() string  { return "coded" }
func (coder) ExitCode() Code { return AuthFailureUser1 }

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), CatchAll},
		{"*Error", New(Usage, "bad"), Usage},
		{"wrapped *Error", fmt.Errorf("ctx: %w", New(Usage, "bad")), Usage},
		{"Coder", fmt.Errorf("ctx: %w", coder{}), AuthFailureUser1},
		{"outermost wins", Wrap(Usage, coder{}), Usage},
		{"joined: first with a code", errors.Join(errors.New("x"), coder{}, New(Usage, "y")), AuthFailureUser1},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of = %v, want %v", tc.name, got, tc.want)
		}
	}
}
