package channel

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/channels.md")

const docPath = "../../docs/channels.md"

// TestDocsUpToDate keeps docs/channels.md in step with the table: run
// `go test ./monitor/channel -update` after changing the vocabulary.
func TestDocsUpToDate(t *testing.T) {
	var table bytes.Buffer
	require.NoError(t, WriteMarkdown(&table))
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	const begin, end = "<!-- begin table -->\n", "<!-- end table -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	require.True(t, i >= 0 && j > i, "docs/channels.md lacks the table markers")
	want := string(doc[:i+len(begin)]) + table.String() + string(doc[j:])
	if *update {
		require.NoError(t, os.WriteFile(docPath, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, string(doc), "docs/channels.md is out of date: go test ./monitor/channel -update")
	for _, c := range All() {
		require.True(t, strings.Contains(string(doc), "`"+c.Name+"`"))
	}
}
