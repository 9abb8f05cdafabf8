/* The machine-readable record of leadership transitions: one JSON object
 * per line, appended with a single write so several daemons may share a
 * file. Each record carries a monotonic timestamp (CLOCK_MONOTONIC, the
 * same clock for every process on one host) and a wall-clock one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The event vocabulary, shared by logs, hooks and the event log. */
#define JL_EVENT_STARTED      "started"
#define JL_EVENT_STANDBY      "standby"
#define JL_EVENT_ELECTED      "elected"      /* began acting as leader */
#define JL_EVENT_STEPPED_DOWN "stepped-down" /* stopped acting as leader */
#define JL_EVENT_RENEWED      "renewed"
#define JL_EVENT_STORE_ERROR  "store-error"
#define JL_EVENT_STOPPED      "stopped"

typedef struct _JlEventLog JlEventLog;

/* Opens @path for appending, creating it with mode 0644. */
JlEventLog *jl_event_log_open (const char *path, GError **error);
void jl_event_log_close (JlEventLog *log);

typedef struct {
  const char *event;
  const char *holder;
  const char *node;
  gint64 epoch;
  const char *reason;    /* or NULL */
  gint64 mono_us;        /* when it took effect; 0 means now */
} JlEventRecord;

/* Opens the path again, for log rotation: records written after this go to
 * a new file when the old one was moved away. On failure the old file
 * stays in use. */
gboolean jl_event_log_reopen (JlEventLog *log, GError **error);

/* Appends one record. Write errors are returned, not logged. */
gboolean jl_event_log_append (JlEventLog *log, const JlEventRecord *record,
                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlEventLog, jl_event_log_close)

G_END_DECLS
