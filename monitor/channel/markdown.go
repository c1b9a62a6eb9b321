package channel

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteMarkdown writes the vocabulary as the Markdown table of
// docs/channels.md.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| channel | unit | decimals | plausible range | fresh for | what |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, c := range All() {
		fresh := "—"
		if c.Freshness > 0 {
			fresh = c.Freshness.String()
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s … %s | %s | %s |\n", c.Name, c.Unit, c.Precision,
			strconv.FormatFloat(c.Min, 'g', -1, 64), strconv.FormatFloat(c.Max, 'g', -1, 64), fresh, c.Description)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
