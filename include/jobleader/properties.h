/* Java properties files (java.util.Properties syntax), with the file and
 * line each value came from so errors can point at it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JlProperties JlProperties;

JlProperties *jl_properties_new (void);
void jl_properties_free (JlProperties *props);

/* Parses @text as the contents of @source (a file name used in messages)
 * and merges it in: a key seen again replaces the earlier value, so loading
 * kylin.properties then kylin.properties.override gives the override's
 * values precedence. @length -1 means @text ends at its NUL. Returns FALSE
 * with JL_ERROR_INVALID, naming FILE:LINE and leaving @props unchanged, for
 * text that is not valid UTF-8, contains a NUL byte, or contains a malformed
 * \uXXXX escape, an unpaired surrogate or \u0000. */
gboolean jl_properties_load_data (JlProperties *props,
                                  const char   *text,
                                  gssize        length,
                                  const char   *source,
                                  GError      **error);

/* Reads and merges @path. JL_ERROR_NOT_FOUND when it does not exist,
 * JL_ERROR_FAILED when it cannot be read. */
gboolean jl_properties_load_file (JlProperties *props,
                                  const char   *path,
                                  GError      **error);

/* Returns the value of @key, or NULL. */
const char *jl_properties_get (const JlProperties *props, const char *key);

/* Returns "FILE:LINE" of the line that set @key (the first line of a
 * continued value), or NULL when @key is unset. */
const char *jl_properties_origin (const JlProperties *props, const char *key);

/* Returns the keys in the order first seen; free the array, not the keys. */
GPtrArray *jl_properties_keys (const JlProperties *props);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlProperties, jl_properties_free)

G_END_DECLS
