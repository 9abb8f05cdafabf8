#include "hook.h"


typedef struct {
  char *event;
  char *path;
} HookRun;

static void
hook_run_free (gpointer data)
{
  HookRun *run = data;

  g_free (run->event);
  g_free (run->path);
  g_free (run);
}

static void
on_hook_exit (GPid pid, gint status, gpointer data)
{
  HookRun *run = data;
  g_autoptr (GError) error = NULL;

  g_spawn_close_pid (pid);
  if (!g_spawn_check_wait_status (status, &error))
    g_warning ("event=hook-failed hook='%s' hook_event=%s error='%s'",
               run->path, run->event, error->message);
}

void
jl_hook_run (const char *path, const char *event, gint64 epoch,
             const char *holder, const char *reason)
{
  g_autofree char *epoch_text = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);
  const char *argv[] = { path, event, epoch_text, holder, NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;
  GPid pid;

  if (path == NULL)
    return;

  envp = g_environ_setenv (envp, "JOBLEADER_EVENT", event, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_EPOCH", epoch_text, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_HOLDER", holder, TRUE);
  envp = g_environ_setenv (envp, "JOBLEADER_REASON", reason ? reason : "",
                           TRUE);

  if (!g_spawn_async (NULL, (char **) argv, envp,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                      NULL, NULL, &pid, &error))
    {
      g_warning ("event=hook-failed hook='%s' hook_event=%s error='%s'",
                 path, event, error->message);
      return;
    }

  HookRun *run = g_new0 (HookRun, 1);
  run->event = g_strdup (event);
  run->path = g_strdup (path);
  g_child_watch_add_full (G_PRIORITY_DEFAULT, pid, on_hook_exit, run,
                          hook_run_free);
}
