package plugins

import (
	"fmt"
	"strconv"
	"strings"
)

// lastInt parses the value of a single-valued numeric option. When the
// option was given more than once the last value wins, as with
// imapsync's Getopt::Long. Underscores between digits are accepted
// ("45_000_000"), as the imapsync FAQ writes sizes.
func lastInt(name string, values []string, min int64) (int64, error) {
	if len(values) == 0 {
		return 0, fmt.Errorf("%s: needs a value", name)
	}
	return parseInt(name, values[len(values)-1], min)
}

func parseInt(name, v string, min int64) (int64, error) {
	s := strings.TrimSpace(v)
	if strings.Contains(s, "_") {
		if strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
			return 0, fmt.Errorf("%s: %q is not an integer", name, v)
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", name, v)
	}
	if n < min {
		return 0, fmt.Errorf("%s: %d is below the minimum of %d", name, n, min)
	}
	return n, nil
}

// noValues checks that a boolean plugin, enabled by its presence in the
// chain, got no values.
func noValues(name string, values []string) error {
	if len(values) != 0 {
		return fmt.Errorf("%s: takes no value, got %q", name, values)
	}
	return nil
}

// nonEmpty checks that a repeatable option got at least one value and no
// empty one.
func nonEmpty(name string, values []string) error {
	if len(values) == 0 {
		return fmt.Errorf("%s: needs at least one value", name)
	}
	for i, v := range values {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s: value %d is empty", name, i+1)
		}
	}
	return nil
}
