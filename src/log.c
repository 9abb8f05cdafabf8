#include "log.h"

#include <stdio.h>
#include <unistd.h>

static const char *log_program;
static gboolean log_verbose;

static const char *
log_level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "notice";
  if (level & G_LOG_LEVEL_INFO)
    return "info";

  return "debug";
}

static const char *
log_find_message (const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      return fields[i].value;

  return "";
}

static GLogWriterOutput
log_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
           gpointer user_data)
{
  (void) user_data;

  if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
    return G_LOG_WRITER_HANDLED;

  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, NULL);

  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  fprintf (stderr, "%s %s[%d] %s: %s\n", stamp, log_program, (int) getpid (),
           log_level_name (level), log_find_message (fields, n_fields));
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

void
jl_log_init (const char *program, gboolean verbose)
{
  log_program = program;
  log_verbose = verbose || g_getenv ("G_MESSAGES_DEBUG") != NULL;
  g_log_set_writer_func (log_write, NULL, NULL);
}
