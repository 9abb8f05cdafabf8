/* Log output shared by jobleaderd and jobleader: one line per record on
 * stderr, or structured fields when stderr is the systemd journal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Installs the writer. Debug records are shown when @verbose is TRUE. */
void jl_log_init (const char *program, gboolean verbose);

G_END_DECLS
