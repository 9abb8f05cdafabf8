#include "hook.h"

typedef struct {
  char *event;
  char *epoch;
  char *holder;
  char *reason;
} HookRun;

struct _JlHookRunner {
  char *path;
  GQueue pending; /* of HookRun, not yet started */
  gboolean running;
};

static void
hook_run_free (HookRun *run)
{
  g_free (run->event);
  g_free (run->epoch);
  g_free (run->holder);
  g_free (run->reason);
  g_free (run);
}

static void hook_runner_start_next (JlHookRunner *runner);

static void
on_hook_exit (GPid pid, gint status, gpointer data)
{
  JlHookRunner *runner = data;
  g_autoptr (GError) error = NULL;

  g_spawn_close_pid (pid);
  if (!g_spawn_check_wait_status (status, &error))
    g_warning ("event=hook-failed hook='%s' pid=%d error='%s'",
               runner->path, (int) pid, error->message);

  runner->running = FALSE;
  hook_runner_start_next (runner);
}

static gboolean
hook_runner_spawn (JlHookRunner *runner, const HookRun *run)
{
  const char *argv[] = { runner->path, run->event, run->epoch, run->holder,
                         NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;
  GPid pid;

  envp = g_environ_setenv (envp, "JOBLEADER_EVENT", run->event, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_EPOCH", run->epoch, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_HOLDER", run->holder, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_REASON", run->reason, TRUE);

  if (!g_spawn_async (NULL, (char **) argv, envp,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                      NULL, NULL, &pid, &error))
    {
      g_warning ("event=hook-failed hook='%s' hook_event=%s error='%s'",
                 runner->path, run->event, error->message);
      return FALSE;
    }

  g_child_watch_add (pid, on_hook_exit, runner);
  return TRUE;
}

static void
hook_runner_start_next (JlHookRunner *runner)
{
  while (!runner->running && !g_queue_is_empty (&runner->pending))
    {
      HookRun *run = g_queue_pop_head (&runner->pending);

      runner->running = hook_runner_spawn (runner, run);
      hook_run_free (run);
    }
}

JlHookRunner *
jl_hook_runner_new (const char *path)
{
  JlHookRunner *runner = g_new0 (JlHookRunner, 1);

  runner->path = g_strdup (path);
  g_queue_init (&runner->pending);

  return runner;
}

void
jl_hook_runner_free (JlHookRunner *runner)
{
  if (runner == NULL)
    return;

  /* A run still going keeps its child watch, which points at the runner:
   * leave the runner allocated, since the process is about to exit. */
  if (runner->running)
    return;

  g_queue_clear_full (&runner->pending, (GDestroyNotify) hook_run_free);
  g_free (runner->path);
  g_free (runner);
}

void
jl_hook_runner_queue (JlHookRunner *runner, const char *event, gint64 epoch,
                      const char *holder, const char *reason)
{
  if (runner->path == NULL)
    return;

  HookRun *run = g_new0 (HookRun, 1);
  run->event = g_strdup (event);
  run->epoch = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);
  run->holder = g_strdup (holder);
  run->reason = g_strdup (reason ? reason : "");

  g_queue_push_tail (&runner->pending, run);
  hook_runner_start_next (runner);
}

static gboolean
on_wait_timeout (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
jl_hook_runner_wait (JlHookRunner *runner, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);

  while ((runner->running || !g_queue_is_empty (&runner->pending))
         && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (timer);

  return !timed_out;
}
