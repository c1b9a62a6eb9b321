package entry

import "github.com/pumpside/pumpside/monitor/record"

// fromEvent turns a written event back into an entry the way a reader
// would (FromRecord is tested through the case file in the CLI's tests).
func fromEvent(ev record.Event) Entry {
	e := Entry{Kind: ev.Kind, Time: ev.Time, Text: ev.Text}
	for _, f := range ev.Fields {
		switch {
		case f.Key == "who":
			e.Who = f.Str
		case f.IsStr:
			e.SetStr(f.Key, f.Str)
		default:
			e.SetNum(f.Key, f.Num)
		}
	}
	return e
}
