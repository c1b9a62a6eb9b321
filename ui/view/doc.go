// Package view holds the console's screens, built from the widgets of
// ui/widget, and the plain data types the integrator fills to drive them.
//
// Screens is the whole window: the header (case time, feed, REPLAY, lost
// devices, no alarm sound), the alarm Banner, one of six screens (Monitor,
// Trends, AlarmLog, Devices, Events, Setup; F1–F6), the ReplayBar while a
// case is replayed, and the navigation bar. A screen's state lives across
// frames; Layout takes the snapshot, a *State and the time "now" as
// arguments, so the same screens draw live data, a replayed case or a
// golden-image test.
//
// Data in, actions out: State (alarms, alarm log, limits, devices, events,
// replay, set-up) is read, never written, and must not change while the
// console may read it (publish a new one instead). Operator actions leave
// through Options.OnAction as Action values (Acknowledge, PauseAudio,
// EnterEvent, EditEvent, Seek, SetPlaying, SetSpeed, ApplySetup): the view
// never changes alarm, record or replay state itself, so what the screen
// shows is always what the engine and the record hold.
//
// Layout does not lock and does not read the clock. The monitor screen does
// not allocate in steady state; the text screens (alarms, events, set-up)
// format their lines each frame and do.
//
// Everything here belongs to one goroutine (the window's) at a time;
// OnAction is called on it, during Layout.
package view
