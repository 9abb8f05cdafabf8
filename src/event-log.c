#include "jobleader/event-log.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "jobleader/error.h"

struct _JlEventLog {
  char *path;
  int fd;
};

static int
event_log_open_fd (const char *path, GError **error)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "cannot open event log '%s' (kylin.jobleader.event-log): "
                   "%s", path, g_strerror (saved));
    }

  return fd;
}

JlEventLog *
jl_event_log_open (const char *path, GError **error)
{
  int fd = event_log_open_fd (path, error);

  if (fd < 0)
    return NULL;

  JlEventLog *log = g_new0 (JlEventLog, 1);
  log->path = g_strdup (path);
  log->fd = fd;

  return log;
}

gboolean
jl_event_log_reopen (JlEventLog *log, GError **error)
{
  int fd = event_log_open_fd (log->path, error);

  if (fd < 0)
    return FALSE;

  close (log->fd);
  log->fd = fd;

  return TRUE;
}

void
jl_event_log_close (JlEventLog *log)
{
  if (log == NULL)
    return;

  close (log->fd);
  g_free (log->path);
  g_free (log);
}

static char *
event_record_to_json (const JlEventRecord *record)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gint64 mono_us = record->mono_us ? record->mono_us : g_get_monotonic_time ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, record->event);
  json_builder_set_member_name (builder, "holder");
  json_builder_add_string_value (builder, record->holder);
  json_builder_set_member_name (builder, "node");
  json_builder_add_string_value (builder, record->node);
  json_builder_set_member_name (builder, "epoch");
  json_builder_add_int_value (builder, record->epoch);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, record->reason);
  json_builder_set_member_name (builder, "mono_us");
  json_builder_add_int_value (builder, mono_us);
  json_builder_set_member_name (builder, "wall_ms");
  json_builder_add_int_value (builder, g_get_real_time () / 1000);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_end_object (builder);

  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gboolean
jl_event_log_append (JlEventLog *log, const JlEventRecord *record,
                     GError **error)
{
  g_autofree char *json = event_record_to_json (record);
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  gsize length = strlen (line);

  /* One write() per record: O_APPEND keeps concurrent writers' lines
   * whole on a local filesystem. */
  ssize_t written = write (log->fd, line, length);
  if (written != (ssize_t) length)
    {
      int saved = written < 0 ? errno : EIO;
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "cannot append to event log '%s': %s", log->path,
                   g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}
